//! A riker actor driving a thermostat. It writes its settings to a RON file whenever they change
//! and reads them back on start, so a firmware update keeps the room at the temperature the user
//! chose. Versioned with hotlint's convention.

pub mod thermostat;
