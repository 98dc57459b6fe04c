//! Value types shared by every layer: levels, alert states, sort order, timestamps.
//! They know how to parse and print themselves and nothing about storage or transport.

mod level;
mod time;

pub use level::{AlertStatus, Level, SortOrder, UnknownLevel};
pub use time::{Timestamp, parse_timestamp};
