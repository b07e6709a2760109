"""Combined clinics: events, staffing, invitations, appointments, timetables and their scheduling."""
