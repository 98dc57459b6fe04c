use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

/// A UTC instant in microseconds since the Unix epoch: the stored form of every
/// timestamp. Printed as RFC 3339 with microseconds and `Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(Utc::now().timestamp_micros())
    }

    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Timestamp(dt.timestamp_micros())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

impl Timestamp {
    /// The RFC 3339 text, formatted on the stack: pages print a timestamp per row, and
    /// chrono's formatter allocates a `String` for each.
    pub(crate) fn rfc3339(self) -> Rfc3339 {
        /// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
        const EPOCH_DAYS_FROM_CE: i64 = 719_163;
        let seconds = self.0.div_euclid(1_000_000);
        let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let date = i32::try_from(days + EPOCH_DAYS_FROM_CE)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .filter(|date| (0..=9999).contains(&date.year()));
        let Some(date) = date else {
            let text = self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::Micros, true);
            return Rfc3339::Long(text);
        };
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let fields = [
            (0..4, date.year().unsigned_abs()),
            (5..7, date.month()),
            (8..10, date.day()),
            (11..13, (of_day / 3600) as u32),
            (14..16, (of_day / 60 % 60) as u32),
            (17..19, (of_day % 60) as u32),
            (20..26, self.0.rem_euclid(1_000_000) as u32),
        ];
        for (range, mut value) in fields {
            for digit in text[range].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Rfc3339::Short(text)
    }
}

/// A formatted timestamp: 27 ASCII bytes for years 0000–9999, chrono's text beyond.
pub(crate) enum Rfc3339 {
    Short([u8; 27]),
    Long(String),
}

impl Rfc3339 {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only ASCII digits and separators are ever written into it.
            Rfc3339::Short(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
            Rfc3339::Long(text) => text,
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc3339().as_str())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.rfc3339().as_str())
    }
}

/// Parses RFC 3339 (`2026-11-27T10:00:00Z`, offsets, fractions; a space instead of
/// `T` and a missing offset are read as UTC, as the old service wrote them) or a
/// Unix epoch number. Epoch units are told apart by magnitude, as Loki and Vector do:
/// below 10^11 seconds, below 10^14 milliseconds, below 10^17 microseconds, else
/// nanoseconds.
pub fn parse_timestamp(input: &str) -> Result<Timestamp, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty timestamp".into());
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !s[1..].contains('-')
    {
        let value: f64 = s
            .parse()
            .map_err(|_| format!("invalid epoch timestamp {input:?}"))?;
        if let Ok(int) = s.parse::<i64>() {
            return from_epoch_int(int).ok_or_else(|| out_of_range(input));
        }
        return from_epoch_float(value).ok_or_else(|| out_of_range(input));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(Timestamp::from_datetime(dt.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return Ok(Timestamp::from_datetime(naive.and_utc()));
        }
    }
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Ok(Timestamp::from_datetime(dt.with_timezone(&Utc)));
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(dt) = date.and_hms_opt(0, 0, 0) {
            return Ok(Timestamp::from_datetime(dt.and_utc()));
        }
    }
    Err(format!(
        "invalid timestamp {input:?}: expected RFC 3339 (2026-01-31T12:00:00Z) or Unix epoch seconds, milliseconds or nanoseconds"
    ))
}

fn out_of_range(input: &str) -> String {
    format!("timestamp {input:?} is out of range")
}

/// An integer epoch in whichever unit its magnitude implies.
pub fn from_epoch_int(n: i64) -> Option<Timestamp> {
    let abs = n.unsigned_abs();
    let micros = if abs < 100_000_000_000 {
        n.checked_mul(1_000_000)?
    } else if abs < 100_000_000_000_000 {
        n.checked_mul(1_000)?
    } else if abs < 100_000_000_000_000_000 {
        n
    } else {
        n / 1_000
    };
    valid(micros)
}

fn from_epoch_float(x: f64) -> Option<Timestamp> {
    if !x.is_finite() {
        return None;
    }
    let abs = x.abs();
    let micros = if abs < 1e11 {
        x * 1e6
    } else if abs < 1e14 {
        x * 1e3
    } else if abs < 1e17 {
        x
    } else {
        x / 1e3
    };
    valid(micros.round() as i64)
}

/// Keeps timestamps within what chrono (and every database) can represent.
fn valid(micros: i64) -> Option<Timestamp> {
    DateTime::from_timestamp_micros(micros).map(|_| Timestamp(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 1_764_244_800_000_000; // 2025-11-27T12:00:00Z

    #[test]
    fn printed_as_chrono_prints_it() {
        let chrono = |t: Timestamp| t.to_datetime().to_rfc3339_opts(SecondsFormat::Micros, true);
        let mut micros: i64 = 0x2545_f491_4f6c_dd1d;
        let mut cases = vec![0, -1, 1, NOON, NOON + 999_999, i64::MIN, i64::MAX];
        // Years 0000 and 9999 at their edges, and beyond them.
        cases.extend([-62_167_219_200_000_000, -62_167_219_200_000_001]);
        cases.extend([253_402_300_799_999_999, 253_402_300_800_000_000]);
        for _ in 0..10_000 {
            // xorshift: values all over the representable range, and near today.
            micros ^= micros << 13;
            micros ^= micros >> 7;
            micros ^= micros << 17;
            cases.extend([micros, NOON + micros % 10_000_000_000_000_000]);
        }
        for case in cases {
            let t = Timestamp(case);
            assert_eq!(t.to_string(), chrono(t), "{case}");
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", chrono(t))
            );
        }
    }

    #[test]
    fn rfc3339_and_epoch_units_agree() {
        for input in [
            "2025-11-27T12:00:00Z",
            "2025-11-27T13:00:00+01:00",
            "2025-11-27 12:00:00",
            "1764244800",
            "1764244800000",
            "1764244800000000",
            "1764244800000000000",
            "1764244800.0",
        ] {
            assert_eq!(parse_timestamp(input), Ok(Timestamp(NOON)), "{input}");
        }
    }

    #[test]
    fn fractions_are_kept_to_the_microsecond() {
        let t = parse_timestamp("2025-11-27T12:00:00.123456789Z").unwrap();
        assert_eq!(t.0, NOON + 123_456);
        assert_eq!(t.to_string(), "2025-11-27T12:00:00.123456Z");
    }

    #[test]
    fn garbage_is_refused_with_the_input_named() {
        for input in ["", "yesterday", "2025-13-01T00:00:00Z", "12-34", "1e400"] {
            let err = parse_timestamp(input).unwrap_err();
            assert!(!err.is_empty(), "{input}");
        }
    }
}
