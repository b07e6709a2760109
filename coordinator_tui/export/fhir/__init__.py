"""FHIR R4 export: one ``Bundle`` (type ``collection``) per patient, as JSON, for the hospital's record systems.

Each bundle holds the patient (``patient.py``: Patient, with the NHS number as an identifier of system
``https://fhir.nhs.uk/Id/nhs-number``; RelatedPerson for each family contact), the care team (``care_team.py``:
Practitioner and PractitionerRole for each professional, and a CareTeam with each member's role, period, and the
named worker), the clinic appointments (``appointments.py``: Appointment, its status mapped to FHIR's) and the
transition checklist (``care_plan.py``: a CarePlan with a Task per step: status, due date, owner).

Resources are built as plain JSON and validated with ``fhir.resources`` (its R4B models: the resources used here
are the same in R4) before anything is written (``bundle.py``). Resource ids are stable: a UUID (version 5) of the
record's kind and id (``ids.py``), so a second export of the same record gives the same ids. Internal notes (the
patient's, an attendance's, an appointment's) and checklist notes are never read into a bundle. No ``meta.profile``
is claimed: the output is not validated against the UK Core package. Files are written owner-only
(``export.atomic``) by ``service.export_fhir``, named by the patient's id, never their name.
"""
