//! Turning a batch's matches into alerts, inside the transaction that stores the
//! batch: a match is committed with its log or not at all.
//!
//! Matching (CPU: levels, sources, regexes) happens before the write, in the
//! request's own task (`match_batch`); the transaction then only runs one or two
//! statements per (rule, source) that matched (`apply`).
//!
//! Deduplication leans on the database: `alerts.active_fingerprint` is unique and
//! set only while an alert is unresolved. Feeding is an `UPDATE … WHERE
//! active_fingerprint = ?`; raising is an INSERT which, should a concurrent
//! transaction (another request, another process) have raised the same fingerprint
//! first, collides and falls back to feeding that alert.

use std::{collections::BTreeMap, sync::Arc};

use sea_orm::{
    ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Expr, Query},
};

use super::{
    rules::{CompiledRule, RuleSet},
    store::Store,
};
use crate::{
    domain::AlertStatus,
    entities::{alert, log_entry},
    error::Result,
    service::{alerts::fingerprint, logs::NewLog},
};

/// Rows a patterned window count reads at most: past this the count stops growing
/// (an alert is due long before).
const PATTERN_SCAN_LIMIT: u64 = 100_000;

/// The matches of one rule for one source within a batch (or a group of batches).
#[derive(Clone, Debug)]
pub struct Group {
    pub rule: Arc<CompiledRule>,
    pub source: Option<String>,
    pub count: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Index of the latest match in its batch until the batch is stored, then its id.
    pub last: i64,
    /// The first matching log's message: the alert's message if this raises one.
    pub message: String,
}

/// Every rule against every log of a batch.
pub fn match_batch(rules: &RuleSet, logs: &[NewLog]) -> Vec<Group> {
    let mut groups: BTreeMap<(i64, Option<&str>), Group> = BTreeMap::new();
    for rule in rules.iter() {
        for (i, log) in logs.iter().enumerate() {
            if !rule.matches(log) {
                continue;
            }
            let ts = log.timestamp.0;
            groups
                .entry((rule.id(), log.source.as_deref()))
                .and_modify(|g| {
                    g.count += 1;
                    g.first_seen = g.first_seen.min(ts);
                    g.last_seen = g.last_seen.max(ts);
                    g.last = i as i64;
                })
                .or_insert_with(|| Group {
                    rule: rule.clone(),
                    source: log.source.clone(),
                    count: 1,
                    first_seen: ts,
                    last_seen: ts,
                    last: i as i64,
                    message: log.message.clone(),
                });
        }
    }
    groups.into_values().collect()
}

/// Replaces batch indexes with the ids the rows got.
pub fn resolve_ids(groups: &mut [Group], ids: &[i64]) {
    for g in groups {
        g.last = ids.get(g.last as usize).copied().unwrap_or_default();
    }
}

/// Folds groups of several batches stored in one transaction into one per
/// (rule, source), later batches last.
pub fn merge(groups: impl IntoIterator<Item = Group>) -> Vec<Group> {
    let mut merged: BTreeMap<(i64, Option<String>), Group> = BTreeMap::new();
    for g in groups {
        match merged.entry((g.rule.id(), g.source.clone())) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(g);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let m = slot.get_mut();
                m.count += g.count;
                m.first_seen = m.first_seen.min(g.first_seen);
                m.last_seen = m.last_seen.max(g.last_seen);
                m.last = g.last;
            }
        }
    }
    merged.into_values().collect()
}

/// What a transaction did to one fingerprint's alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub fingerprint: String,
    pub rule_id: i64,
    pub raised: bool,
}

/// Raises or feeds alerts for `groups`, in fingerprint order so that concurrent
/// transactions lock alert rows in the same order (no deadlocks between them).
pub async fn apply<S: Store + ?Sized>(store: &mut S, groups: Vec<Group>) -> Result<Vec<Change>> {
    let mut keyed: Vec<(String, Group)> = groups
        .into_iter()
        .map(|g| (fingerprint(g.rule.id(), g.source.as_deref()), g))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut changes = Vec::with_capacity(keyed.len());
    for (fp, group) in keyed {
        if let Some(raised) = apply_one(store, &fp, &group).await? {
            changes.push(Change {
                fingerprint: fp,
                rule_id: group.rule.id(),
                raised,
            });
        }
    }
    Ok(changes)
}

/// `Some(true)` raised, `Some(false)` fed, `None` below the threshold.
async fn apply_one<S: Store + ?Sized>(store: &mut S, fp: &str, g: &Group) -> Result<Option<bool>> {
    // Each round either feeds the unresolved alert, raises one, or finds that a
    // concurrent transaction raised one first; it may then have been resolved before
    // our UPDATE saw it, so go round again. Every round that fails means another
    // transaction made progress, so a few suffice.
    const ROUNDS: usize = 8;
    for _ in 0..ROUNDS {
        if feed(store, fp, g, g.count).await? {
            return Ok(Some(false));
        }
        let (occurrences, first_seen) = if g.rule.threshold() <= 1 {
            // Only this batch's own matches: earlier ones already fed an alert (now
            // resolved), and counting the window again would count them twice.
            (g.count, g.first_seen)
        } else {
            let (in_window, first_seen) = window_count(store, fp, g).await?;
            if in_window < g.rule.threshold() {
                return Ok(None);
            }
            (in_window, first_seen.min(g.first_seen))
        };
        if raise(store, fp, g, occurrences, first_seen).await? {
            return Ok(Some(true));
        }
    }
    Err(crate::error::AppError::Unavailable(format!(
        "alert {fp} kept changing under this batch; try again"
    )))
}

async fn feed<S: Store + ?Sized>(store: &mut S, fp: &str, g: &Group, by: i64) -> Result<bool> {
    use alert::Column as A;
    use sea_orm::sea_query::ExprTrait;
    let stmt = Query::update()
        .table(alert::Entity)
        .value(A::Occurrences, Expr::col(A::Occurrences).add(by))
        .value(
            A::LastSeen,
            Expr::case(Expr::col(A::LastSeen).lt(g.last_seen), g.last_seen)
                .finally(Expr::col(A::LastSeen)),
        )
        .value(A::LogId, g.last)
        .and_where(Expr::col(A::ActiveFingerprint).eq(fp))
        .to_owned();
    let backend = store.backend();
    Ok(store.execute(backend.build(&stmt)).await? > 0)
}

async fn raise<S: Store + ?Sized>(
    store: &mut S,
    fp: &str,
    g: &Group,
    occurrences: i64,
    first_seen: i64,
) -> Result<bool> {
    use alert::Column as A;
    let stmt = Query::insert()
        .into_table(alert::Entity)
        .columns([
            A::Severity,
            A::Status,
            A::Message,
            A::Source,
            A::RuleId,
            A::Fingerprint,
            A::ActiveFingerprint,
            A::Occurrences,
            A::FirstSeen,
            A::LastSeen,
            A::LogId,
        ])
        .values_panic([
            g.rule.severity.as_str().into(),
            AlertStatus::Open.as_str().into(),
            g.message.as_str().into(),
            g.source.clone().into(),
            g.rule.id().into(),
            fp.into(),
            fp.into(),
            occurrences.into(),
            first_seen.into(),
            g.last_seen.into(),
            g.last.into(),
        ])
        .to_owned();
    let backend = store.backend();
    store.insert_unless_duplicate(backend.build(&stmt)).await
}

/// Matches of the group's rule and source within the window that ends at the
/// group's newest match, leaving out those that already fed an earlier alert of the
/// same fingerprint. Runs inside the transaction, so the batch's rows count.
/// Returns the count and the earliest counted timestamp.
async fn window_count<S: Store + ?Sized>(store: &mut S, fp: &str, g: &Group) -> Result<(i64, i64)> {
    use log_entry::Column as L;
    let backend = store.backend();
    let previous = alert::Entity::find()
        .select_only()
        .column(alert::Column::LogId)
        .column(alert::Column::LastSeen)
        .filter(alert::Column::Fingerprint.eq(fp))
        .order_by(alert::Column::Id, Order::Desc)
        .limit(1)
        .build(backend);
    let previous = store.int_rows(previous, 2).await?;
    let mut select = log_entry::Entity::find()
        .filter(L::Level.is_in(g.rule.min_level.and_above().map(|l| l.as_str())))
        .filter(L::Timestamp.gt(g.last_seen - g.rule.window_micros()))
        .filter(L::Timestamp.lte(g.last_seen));
    select = match &g.source {
        Some(source) => select.filter(L::Source.eq(source.as_str())),
        None => select.filter(L::Source.is_null()),
    };
    match previous.first().map(|row| (row[0], row[1])) {
        Some((Some(log_id), _)) => select = select.filter(L::Id.gt(log_id)),
        // Its log has expired (retention): fall back to its time.
        Some((None, Some(last_seen))) => select = select.filter(L::Timestamp.gt(last_seen)),
        _ => {}
    }
    let Some(pattern) = g.rule.pattern() else {
        use sea_orm::sea_query::ExprTrait;
        let count = select
            .select_only()
            .expr(Expr::col(L::Id).count())
            .expr(Expr::col(L::Timestamp).min())
            .build(backend);
        let rows = store.int_rows(count, 2).await?;
        let row = rows.first();
        let count = row.and_then(|r| r[0]).unwrap_or_default();
        return Ok((count, row.and_then(|r| r[1]).unwrap_or(g.first_seen)));
    };
    let rows = select
        .select_only()
        .column(L::Timestamp)
        .column(L::Message)
        .limit(PATTERN_SCAN_LIMIT)
        .build(backend);
    let rows = store.int_text_rows(rows).await?;
    let matching = rows.iter().filter(|(_, m)| pattern.is_match(m));
    let (count, first) = matching.fold((0, g.first_seen), |(n, first), (ts, _)| {
        (n + 1, first.min(*ts))
    });
    Ok((count, first))
}
