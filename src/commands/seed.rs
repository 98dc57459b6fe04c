//! `log-sentinel seed --logs N --alerts M`: realistic sample data, added to whatever
//! the database already holds, fast enough to fill a million rows for benchmarks.

use std::time::Instant;

use clap::Args;
use rand::{Rng, SeedableRng, rngs::SmallRng, seq::IndexedRandom};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use crate::{
    config::Config,
    db,
    domain::{AlertStatus, Level, Timestamp},
    entities::{alert, alert_rule},
    error::AppError,
    service::{
        alerts::fingerprint,
        logs::{self, NewLog},
    },
};

#[derive(Args, Debug, Clone)]
pub struct SeedArgs {
    /// Logs to add.
    #[arg(long, default_value_t = 10_000)]
    pub logs: u64,
    /// Alerts to add.
    #[arg(long, default_value_t = 100)]
    pub alerts: u64,
    /// Spread the logs over this many days up to now.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Random seed, for reproducible data.
    #[arg(long)]
    pub seed: Option<u64>,
}

const SOURCES: [&str; 8] = [
    "api-gateway",
    "auth-service",
    "payments",
    "web-frontend",
    "worker",
    "db-proxy",
    "search",
    "scheduler",
];
const MESSAGES: [(Level, &str); 16] = [
    (Level::Info, "GET /api/v1/orders 200 in 23ms"),
    (Level::Info, "user 4821 signed in"),
    (Level::Info, "job nightly-export finished, 1204 rows"),
    (Level::Info, "cache warmed: 5120 keys"),
    (Level::Info, "POST /api/v1/payments 201 in 88ms"),
    (Level::Debug, "retrying upstream call, attempt 2"),
    (Level::Debug, "query plan: index scan on orders_created_at"),
    (Level::Trace, "entering handler checkout::confirm"),
    (
        Level::Warning,
        "slow query: 1840ms SELECT * FROM orders WHERE status = 'pending'",
    ),
    (Level::Warning, "disk usage at 85% on /var/lib/data"),
    (Level::Warning, "rate limit close for client 10.0.3.7"),
    (
        Level::Error,
        "upstream timeout after 30s: inventory-service",
    ),
    (Level::Error, "payment declined: card_expired, order 99812"),
    (
        Level::Error,
        "failed to connect to redis:6379: connection refused",
    ),
    (Level::Critical, "out of memory: killed worker process 3121"),
    (Level::Critical, "database replica lag 120s, failing over"),
];

/// Picks a level with production-like weights, then a message of that level.
fn pick_message(rng: &mut SmallRng) -> (Level, &'static str) {
    let level = match rng.random_range(0..1000) {
        0..10 => Level::Trace,
        10..130 => Level::Debug,
        130..830 => Level::Info,
        830..930 => Level::Warning,
        930..990 => Level::Error,
        _ => Level::Critical,
    };
    let options: Vec<_> = MESSAGES.iter().filter(|(l, _)| *l == level).collect();
    options
        .choose(rng)
        .map(|(l, m)| (*l, *m))
        .unwrap_or((Level::Info, MESSAGES[0].1))
}

pub async fn run(config: &Config, args: SeedArgs) -> Result<(), AppError> {
    let conn = db::connect(&config.database_url).await?;
    db::migrate(&conn).await?;
    let mut rng = SmallRng::seed_from_u64(args.seed.unwrap_or_else(rand::random));
    let now = Timestamp::now().0;
    let span = i64::from(args.days.max(1)) * 86_400_000_000;

    let started = Instant::now();
    const BATCH: u64 = 50_000;
    let mut done = 0u64;
    while done < args.logs {
        let n = BATCH.min(args.logs - done);
        let batch: Vec<NewLog> = (done..done + n)
            .map(|i| {
                // Evenly spread over the span, with jitter, oldest first.
                let base =
                    now - span + (span as i128 * i as i128 / args.logs.max(1) as i128) as i64;
                let (level, message) = pick_message(&mut rng);
                let source = *SOURCES.choose(&mut rng).unwrap_or(&SOURCES[0]);
                NewLog {
                    timestamp: Timestamp(base + rng.random_range(0..1_000_000)),
                    level,
                    message: message.to_owned(),
                    source: Some(source.to_owned()),
                    attributes: Some(format!(
                        r#"{{"env":"prod","region":"{}","request_id":"{:016x}"}}"#,
                        ["eu-west-1", "us-east-1", "ap-south-1"][rng.random_range(0..3)],
                        rng.random::<u64>()
                    )),
                }
            })
            .collect();
        let txn = conn.begin().await?;
        logs::insert_many(&txn, &batch).await?;
        txn.commit().await?;
        done += n;
    }
    let log_secs = started.elapsed().as_secs_f64();
    let alerts_added = seed_alerts(&conn, &mut rng, args.alerts, now, span).await?;
    println!(
        "seeded {} logs in {:.2}s ({:.0} logs/s) and {} alerts",
        args.logs,
        log_secs,
        args.logs as f64 / log_secs.max(1e-9),
        alerts_added
    );
    Ok(())
}

/// Alerts from the `errors` rule, mostly resolved. The newest per source stays open
/// or acknowledged unless that source already has an unresolved alert: one
/// fingerprint never has two.
async fn seed_alerts(
    conn: &sea_orm::DatabaseConnection,
    rng: &mut SmallRng,
    count: u64,
    now: i64,
    span: i64,
) -> Result<u64, AppError> {
    if count == 0 {
        return Ok(0);
    }
    let rule = alert_rule::Entity::find()
        .filter(alert_rule::Column::Name.eq("errors"))
        .one(conn)
        .await?;
    let rule_id = rule.map(|r| r.id);
    let active: Vec<Option<String>> = alert::Entity::find()
        .select_only()
        .column(alert::Column::ActiveFingerprint)
        .filter(alert::Column::ActiveFingerprint.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut active: std::collections::HashSet<String> = active.into_iter().flatten().collect();

    let mut rows = Vec::with_capacity(count as usize);
    // Newest first, so the newest alert of each source is the unresolved one.
    for i in 0..count {
        let source = *SOURCES.choose(rng).unwrap_or(&SOURCES[0]);
        let fp = fingerprint(rule_id.unwrap_or_default(), Some(source));
        let first_seen = now - span * (i as i64 + 1) / count as i64;
        let last_seen = first_seen + rng.random_range(0..600_000_000);
        let unresolved = !active.contains(&fp);
        let status = if !unresolved {
            AlertStatus::Resolved
        } else if rng.random_bool(0.5) {
            AlertStatus::Open
        } else {
            AlertStatus::Acknowledged
        };
        if unresolved {
            active.insert(fp.clone());
        }
        let (severity, message) = if rng.random_bool(0.8) {
            (
                Level::Error,
                "upstream timeout after 30s: inventory-service",
            )
        } else {
            (Level::Critical, "out of memory: killed worker process 3121")
        };
        rows.push(alert::ActiveModel {
            id: NotSet,
            severity: Set(severity.as_str().to_owned()),
            status: Set(status.as_str().to_owned()),
            message: Set(message.to_owned()),
            source: Set(Some(source.to_owned())),
            rule_id: Set(rule_id),
            active_fingerprint: Set((status != AlertStatus::Resolved).then(|| fp.clone())),
            fingerprint: Set(fp),
            occurrences: Set(rng.random_range(1..50)),
            first_seen: Set(first_seen),
            last_seen: Set(last_seen),
            acknowledged_at: Set((status == AlertStatus::Acknowledged).then_some(last_seen)),
            resolved_at: Set((status == AlertStatus::Resolved).then_some(last_seen)),
            log_id: Set(None),
        });
    }
    // Oldest first, so ids follow first_seen.
    rows.reverse();
    let txn = conn.begin().await?;
    for chunk in rows.chunks(1000) {
        alert::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(count)
}
