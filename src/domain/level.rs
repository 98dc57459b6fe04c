use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// Severity of a log line or an alert, ordered from TRACE to CRITICAL.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Critical,
    ];

    /// The canonical spelling, as stored and returned.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }

    /// Every level at or above `self`, for `min_level` filters.
    pub fn and_above(self) -> impl Iterator<Item = Level> {
        Level::ALL.into_iter().filter(move |l| *l >= self)
    }

    /// Syslog severities (RFC 5424): 0 emergency … 7 debug.
    pub fn from_syslog(n: i64) -> Option<Level> {
        Some(match n {
            0..=2 => Level::Critical,
            3 => Level::Error,
            4 => Level::Warning,
            5 | 6 => Level::Info,
            7 => Level::Debug,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a level was refused; the message lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown level {0:?}: expected TRACE, DEBUG, INFO, WARNING, ERROR or CRITICAL (case-insensitive; aliases warn, err, crit, fatal, information; syslog 0-7)"
)]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if let Ok(n) = trimmed.parse::<i64>() {
            return Level::from_syslog(n).ok_or_else(|| UnknownLevel(s.to_owned()));
        }
        Ok(match trimmed.to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" | "dbg" => Level::Debug,
            "info" | "information" | "informational" | "notice" => Level::Info,
            "warning" | "warn" => Level::Warning,
            "error" | "err" => Level::Error,
            "critical" | "crit" | "fatal" | "alert" | "emerg" | "emergency" | "panic" => {
                Level::Critical
            }
            _ => return Err(UnknownLevel(s.to_owned())),
        })
    }
}

/// Where an alert is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "UPPERCASE")]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "OPEN",
            AlertStatus::Acknowledged => "ACKNOWLEDGED",
            AlertStatus::Resolved => "RESOLVED",
        }
    }
}

impl FromStr for AlertStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "OPEN" => Ok(AlertStatus::Open),
            "ACKNOWLEDGED" | "ACK" => Ok(AlertStatus::Acknowledged),
            "RESOLVED" => Ok(AlertStatus::Resolved),
            _ => Err(format!(
                "unknown status {s:?}: expected OPEN, ACKNOWLEDGED or RESOLVED"
            )),
        }
    }
}

/// Direction of a listing; ASC is oldest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, async_graphql::Enum)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_syslog_numbers_map_to_levels() {
        for (input, level) in [
            ("warn", Level::Warning),
            ("WARNING", Level::Warning),
            ("Err", Level::Error),
            ("crit", Level::Critical),
            ("fatal", Level::Critical),
            ("information", Level::Info),
            ("0", Level::Critical),
            ("2", Level::Critical),
            ("3", Level::Error),
            ("4", Level::Warning),
            ("5", Level::Info),
            ("6", Level::Info),
            ("7", Level::Debug),
        ] {
            assert_eq!(input.parse::<Level>(), Ok(level), "{input}");
        }
    }

    #[test]
    fn unknown_levels_are_refused() {
        for input in ["", "verbose", "8", "-1", "warnings"] {
            assert!(input.parse::<Level>().is_err(), "{input}");
        }
    }

    #[test]
    fn and_above_includes_the_level_itself() {
        let got: Vec<_> = Level::Error.and_above().collect();
        assert_eq!(got, vec![Level::Error, Level::Critical]);
    }
}
