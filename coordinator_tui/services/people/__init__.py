"""Records of people: patients, their contacts and care teams, professionals, and the specialist service."""
