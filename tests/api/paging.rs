use std::collections::HashSet;

use serde_json::{Value, json};

use crate::{
    common::{JAN_1, TestApp, sample_logs},
    db_test,
};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $filter: LogFilter, $order: SortOrder) {
  logs(first: $first, after: $after, last: $last, before: $before, filter: $filter, order: $order) {
    edges { cursor node { id message } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

fn page_ids(body: &Value) -> Vec<i64> {
    body["data"]["logs"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a page, got {body}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Walks every page forward (or backward) and returns the ids in visiting order.
/// `during` runs after each page, to change the data under the walk.
async fn walk(
    app: &TestApp,
    size: i64,
    backward: bool,
    mut during: impl AsyncFnMut(usize),
) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_no in 0.. {
        let vars = if backward {
            json!({ "last": size, "before": cursor })
        } else {
            json!({ "first": size, "after": cursor })
        };
        let body = app.graphql(PAGE, vars).await;
        let mut ids = page_ids(&body);
        let info = &body["data"]["logs"]["pageInfo"];
        if backward {
            ids.reverse();
        }
        seen.extend(ids);
        during(page_no).await;
        let (more, next) = if backward {
            (
                info["hasPreviousPage"].as_bool().unwrap(),
                info["startCursor"].clone(),
            )
        } else {
            (
                info["hasNextPage"].as_bool().unwrap(),
                info["endCursor"].clone(),
            )
        };
        if !more {
            break;
        }
        cursor = Some(
            next.as_str()
                .expect("a cursor when more pages follow")
                .to_owned(),
        );
    }
    seen
}

db_test! {
    async fn cursor_paging_visits_every_row_once_in_both_directions(app: TestApp) {
        // Ten rows share each timestamp, so the id tie-break matters.
        let mut logs = sample_logs(95, JAN_1);
        for (i, log) in logs.iter_mut().enumerate() {
            log.timestamp.0 = JAN_1 + (i as i64 / 10) * 1_000_000;
        }
        app.insert_logs(logs).await;
        let (_, all) = app.get_json("/logs?limit=1000").await;
        let expected: Vec<i64> = all.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(expected.len(), 95);

        let forward = walk(&app, 7, false, async |_| {}).await;
        assert_eq!(forward, expected);

        let mut backward = walk(&app, 7, true, async |_| {}).await;
        backward.reverse();
        assert_eq!(backward, expected);
    }
}

db_test! {
    async fn cursor_paging_has_no_gaps_or_repeats_while_rows_arrive(app: TestApp) {
        app.insert_logs(sample_logs(60, JAN_1)).await;
        let (_, all) = app.get_json("/logs?limit=1000").await;
        let original: HashSet<i64> = all.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();

        // After every page, new rows land before and after the current position.
        let seen = walk(&app, 9, false, async |page| {
            let mut early = sample_logs(2, JAN_1 - 1_000_000_000);
            let late = sample_logs(2, JAN_1 + 1_000_000_000 + page as i64 * 10_000_000);
            early.extend(late);
            app.insert_logs(early).await;
        })
        .await;

        let unique: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "no row visited twice");
        assert!(original.is_subset(&unique), "every original row visited");
    }
}

db_test! {
    async fn rest_and_graphql_return_the_same_rows_for_the_same_filter_and_page(app: TestApp) {
        app.insert_logs(sample_logs(50, JAN_1)).await;
        let cases = [
            ("skip=0&limit=10", json!({ "first": 10, "skip": 0 })),
            ("skip=5&limit=7&order=desc", json!({ "first": 7, "skip": 5, "order": "DESC" })),
            ("level=ERROR&limit=100", json!({ "first": 100, "filter": { "levels": ["ERROR"] } })),
            ("min_level=WARNING&source=db&skip=2&limit=3", json!({ "first": 3, "skip": 2, "filter": { "minLevel": "WARNING", "source": "db" } })),
            ("q=message%204&since=2026-01-01T00:00:10Z&until=2026-01-01T00:00:45Z",
             json!({ "filter": { "search": "message 4", "since": "2026-01-01T00:00:10Z", "until": "2026-01-01T00:00:45Z" } })),
        ];
        let query = "query($first: Int, $skip: Int, $filter: LogFilter, $order: SortOrder) {
            logs(first: $first, skip: $skip, filter: $filter, order: $order) { nodes { id } } }";
        for (rest, vars) in cases {
            let (code, body) = app.get_json(&format!("/logs?{rest}")).await;
            assert_eq!(code, 200, "{rest}");
            let rest_ids: Vec<String> = body.as_array().unwrap().iter().map(|r| r["id"].to_string()).collect();
            let gql = app.graphql(query, vars).await;
            let gql_ids: Vec<String> = gql["data"]["logs"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{gql}"))
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect();
            assert!(!rest_ids.is_empty(), "{rest} selects something");
            assert_eq!(rest_ids, gql_ids, "{rest}");
        }
    }
}

db_test! {
    async fn descending_order_pages_newest_first_and_reports_page_info(app: TestApp) {
        app.insert_logs(sample_logs(5, JAN_1)).await;
        let first = app.graphql(PAGE, json!({ "first": 2, "order": "DESC" })).await;
        let logs = &first["data"]["logs"];
        let messages: Vec<_> = logs["edges"].as_array().unwrap().iter().map(|e| e["node"]["message"].clone()).collect();
        assert_eq!(messages, vec!["message 4", "message 3"]);
        assert_eq!(logs["pageInfo"]["hasNextPage"], true);
        assert_eq!(logs["pageInfo"]["hasPreviousPage"], false);
        assert_eq!(logs["pageInfo"]["endCursor"], logs["edges"][1]["cursor"]);

        let second = app.graphql(PAGE, json!({ "first": 10, "order": "DESC", "after": logs["pageInfo"]["endCursor"] })).await;
        let messages: Vec<_> = second["data"]["logs"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["message"].clone()).collect();
        assert_eq!(messages, vec!["message 2", "message 1", "message 0"]);
        assert_eq!(second["data"]["logs"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(second["data"]["logs"]["pageInfo"]["hasPreviousPage"], true);
    }
}
