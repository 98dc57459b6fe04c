//! Root subscription fields: the live tail of logs and of alert changes, fed by
//! `sentinel::Events` and filtered here, per subscriber, by the same filters the
//! queries use.
//!
//! Each subscriber reads a bounded broadcast channel (`LIVE_TAIL_BUFFER` events).
//! One that falls further behind than that skips to the newest events and gets one
//! error item in place of what it missed (`extensions.code = "LAGGED"`,
//! `extensions.skipped = n`), then carries on: a slow client costs the server no
//! more memory than the channel holds.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Subscription};
use futures::{Stream, StreamExt, stream};
use tokio::sync::broadcast::{self, error::RecvError};

use super::{
    guard::RequireScope,
    types::{Alert, AlertFilterInput, LogEntry, LogFilterInput},
};
use crate::{auth::Scope, service::logs::LogFilter, state::AppState};

#[derive(Default)]
pub struct SubscriptionRoot;

// The type's guard covers every field, present and future (see `guard`).
/// Live feeds. With authentication on, every field needs a token with the `read`
/// scope, sent as the `connection_init` payload `{"Authorization": "Bearer <JWT>"}`.
#[Subscription(guard = "RequireScope(Scope::Read)")]
impl SubscriptionRoot {
    /// Every log matching `filter`, as soon as it is committed, in commit order.
    /// A subscriber that falls behind gets one `LAGGED` error saying how many logs
    /// it skipped, then the newest ones.
    async fn log_added(
        &self,
        ctx: &Context<'_>,
        filter: Option<LogFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LogEntry>> + use<>> {
        let state = ctx.data::<AppState>()?;
        let filter = LogFilter::from(filter.unwrap_or_default());
        let logs = live(state.events.subscribe_logs(), move |log| {
            filter.matches(log)
        });
        Ok(logs.map(|log| log.map(|log| LogEntry::from(Arc::unwrap_or_clone(log)))))
    }

    /// Every alert matching `filter` when it is raised, gains occurrences, is
    /// acknowledged or resolved: the alert as it is after the change. Falling behind
    /// is signalled as for `logAdded`.
    async fn alert_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Alert>> + use<>> {
        let state = ctx.data::<AppState>()?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let alerts = live(state.events.subscribe_alerts(), move |alert| {
            filter.matches(alert)
        });
        Ok(alerts.map(|alert| alert.map(|alert| Alert::from(Arc::unwrap_or_clone(alert)))))
    }
}

/// The events of `receiver` that `keep` accepts, in order. Where the receiver had
/// to skip events, one `LAGGED` error stands in for them; the stream ends when the
/// channel closes (the server is shutting down).
fn live<T, F>(
    receiver: broadcast::Receiver<T>,
    keep: F,
) -> impl Stream<Item = async_graphql::Result<T>> + Send + 'static
where
    T: Clone + Send + 'static,
    F: FnMut(&T) -> bool + Send + 'static,
{
    stream::unfold((receiver, keep), |(mut receiver, mut keep)| async move {
        loop {
            let item = match receiver.recv().await {
                Ok(event) if keep(&event) => Ok(event),
                Ok(_) => continue,
                Err(RecvError::Lagged(skipped)) => Err(lagged(skipped)),
                Err(RecvError::Closed) => return None,
            };
            return Some((item, (receiver, keep)));
        }
    })
}

fn lagged(skipped: u64) -> async_graphql::Error {
    async_graphql::Error::new(format!(
        "this subscriber fell behind the live feed and {skipped} events were skipped \
         (counted before filtering, so fewer may have matched); continuing with the newest"
    ))
    .extend_with(|_, ext| {
        ext.set("code", "LAGGED");
        ext.set("skipped", skipped);
    })
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::{domain::AlertStatus, entities::alert, service::alerts::AlertFilter};

    fn code(err: &async_graphql::Error) -> Option<String> {
        match err.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(code) => Some(code.clone()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_lagging_receiver_gets_one_error_then_the_newest_events() {
        let (sender, receiver) = broadcast::channel(2);
        let mut events = Box::pin(live(receiver, |n: &i32| n % 2 == 0));
        for n in 1..=6 {
            sender.send(n).unwrap();
        }
        // 1–4 were overwritten; 5 and 6 remain, and only 6 passes the filter.
        let err = events.next().await.unwrap().unwrap_err();
        assert_eq!(code(&err).as_deref(), Some("LAGGED"));
        assert!(
            err.message.contains("4 events were skipped"),
            "{}",
            err.message
        );
        assert_eq!(events.next().await.unwrap().unwrap(), 6);
        assert!(events.next().now_or_never().is_none(), "nothing more yet");
        sender.send(8).unwrap();
        assert_eq!(events.next().await.unwrap().unwrap(), 8);
        drop(sender);
        assert!(
            events.next().await.is_none(),
            "a closed channel ends the stream"
        );
    }

    fn alert(id: i64, status: &str, severity: &str, source: &str) -> Arc<alert::Model> {
        Arc::new(alert::Model {
            id,
            severity: severity.into(),
            status: status.into(),
            message: format!("alert {id}"),
            source: Some(source.into()),
            rule_id: Some(1),
            fingerprint: format!("fp-{source}"),
            active_fingerprint: None,
            occurrences: 1,
            first_seen: 0,
            last_seen: 0,
            acknowledged_at: None,
            resolved_at: None,
            log_id: None,
        })
    }

    #[tokio::test]
    async fn alert_changes_are_filtered_in_order() {
        let (sender, receiver) = broadcast::channel(16);
        let filter = AlertFilter {
            status: Some(vec![AlertStatus::Open, AlertStatus::Resolved]),
            min_severity: Some(crate::domain::Level::Error),
            source: Some("api".into()),
            rule_id: None,
        };
        let events = live(receiver, move |a: &Arc<alert::Model>| filter.matches(a));
        for change in [
            alert(1, "OPEN", "ERROR", "api"),
            alert(2, "OPEN", "WARNING", "api"),
            alert(3, "OPEN", "CRITICAL", "db"),
            alert(1, "ACKNOWLEDGED", "ERROR", "api"),
            alert(4, "OPEN", "CRITICAL", "api"),
            alert(1, "RESOLVED", "ERROR", "api"),
        ] {
            sender.send(change).unwrap();
        }
        drop(sender);
        let seen: Vec<(i64, String)> = events
            .map(|a| a.unwrap())
            .map(|a| (a.id, a.status.clone()))
            .collect()
            .await;
        assert_eq!(
            seen,
            vec![
                (1, "OPEN".to_owned()),
                (4, "OPEN".to_owned()),
                (1, "RESOLVED".to_owned()),
            ]
        );
    }
}
