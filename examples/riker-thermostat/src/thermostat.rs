use std::path::PathBuf;

use riker::actors::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Mode {
    Off,
    Heat,
    Cool,
    /// Heat, but never above 19 °C.
    Eco,
}

#[derive(Clone, Debug)]
pub struct SetTarget(pub f32);

#[derive(Clone, Debug)]
pub struct SetMode(pub Mode);

/// A temperature reading from the sensor, in °C.
#[derive(Clone, Debug)]
pub struct Reading(pub f32);

#[actor(SetTarget, SetMode, Reading)]
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Thermostat {
    pub target: f32,
    pub mode: Mode,
    #[serde(skip)]
    pub file: PathBuf,
}

impl Thermostat {
    pub const STATE_VERSION: u32 = 1;

    /// Reads the settings file (a `version N` line, then the state in RON), or starts
    /// switched off.
    pub fn load(file: PathBuf) -> Result<Self, String> {
        let mut thermostat = match std::fs::read_to_string(&file) {
            Ok(text) => {
                let (header, body) = text.split_once('\n').ok_or("settings file without a version line")?;
                let version = header.strip_prefix("version ").and_then(|v| v.trim().parse::<u32>().ok());
                match version {
                    Some(v) if v == Self::STATE_VERSION => ron::from_str(body).map_err(|e| e.to_string())?,
                    Some(v) => Self::code_change(v, body)?,
                    None => return Err(format!("bad version line `{header}`")),
                }
            }
            Err(_) => Thermostat { target: 20.0, mode: Mode::Off, file: PathBuf::new() },
        };
        thermostat.file = file;
        Ok(thermostat)
    }

    /// Upgrades settings saved by an older firmware. Version 1 is the first: nothing to read yet.
    pub fn code_change(from: u32, _text: &str) -> Result<Self, String> {
        match from {
            other => Err(format!("no migration from state version {other}")),
        }
    }

    fn save(&self) {
        let written = ron::to_string(self)
            .map_err(|e| e.to_string())
            .and_then(|body| {
                let text = format!("version {}\n{body}", Self::STATE_VERSION);
                std::fs::write(&self.file, text).map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            eprintln!("settings not saved: {e}");
        }
    }

    fn heating_wanted(&self, reading: f32) -> bool {
        match self.mode {
            Mode::Heat => reading < self.target,
            Mode::Eco => reading < self.target.min(19.0),
            Mode::Off | Mode::Cool => false,
        }
    }
}

impl ActorFactoryArgs<PathBuf> for Thermostat {
    fn create_args(file: PathBuf) -> Self {
        Thermostat::load(file.clone()).unwrap_or(Thermostat { target: 20.0, mode: Mode::Off, file })
    }
}

impl Actor for Thermostat {
    type Msg = ThermostatMsg;

    fn recv(&mut self, ctx: &Context<Self::Msg>, msg: Self::Msg, sender: Sender) {
        self.receive(ctx, msg, sender);
    }
}

impl Receive<SetTarget> for Thermostat {
    type Msg = ThermostatMsg;

    fn receive(&mut self, _ctx: &Context<Self::Msg>, msg: SetTarget, _sender: Sender) {
        self.target = msg.0;
        self.save();
    }
}

impl Receive<SetMode> for Thermostat {
    type Msg = ThermostatMsg;

    fn receive(&mut self, _ctx: &Context<Self::Msg>, msg: SetMode, _sender: Sender) {
        self.mode = msg.0;
        self.save();
    }
}

impl Receive<Reading> for Thermostat {
    type Msg = ThermostatMsg;

    fn receive(&mut self, _ctx: &Context<Self::Msg>, msg: Reading, _sender: Sender) {
        if self.heating_wanted(msg.0) {
            println!("boiler on: {:.1} °C, target {:.1} °C", msg.0, self.target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_change_refuses_unknown_versions() {
        assert!(Thermostat::code_change(0, "()").is_err());
    }
}
