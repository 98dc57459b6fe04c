use serde_json::{Value, json};

use crate::{
    common::{JAN_1, sample_logs},
    db_test,
};

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error with a code, got {body}"))
}

db_test! {
    async fn logs_connection_has_nodes_edges_page_info_and_total_count(app: TestApp) {
        app.insert_logs(sample_logs(12, JAN_1)).await;
        let body = app
            .graphql(
                "{ logs(first: 5, filter: { minLevel: ERROR }) {
                     totalCount
                     pageInfo { hasNextPage hasPreviousPage }
                     nodes { id timestamp level message source attributes }
                     edges { cursor node { id } } } }",
                json!({}),
            )
            .await;
        let logs = &body["data"]["logs"];
        assert_eq!(logs["totalCount"], 4, "ERROR and CRITICAL: {body}");
        assert_eq!(logs["pageInfo"]["hasNextPage"], false);
        let node = &logs["nodes"][0];
        assert_eq!(node["level"], "ERROR");
        assert_eq!(node["message"], "message 2");
        assert_eq!(node["timestamp"], "2026-01-01T00:00:02.000000Z");
        assert_eq!(node["attributes"], json!({ "i": 2 }));
        assert_eq!(logs["edges"][0]["node"]["id"], node["id"]);
    }
}

db_test! {
    async fn single_log_and_alert_by_id(app: TestApp) {
        app.insert_logs(sample_logs(1, JAN_1)).await;
        crate::common::insert_alerts(&app).await;
        let (_, rows) = app.get_json("/logs").await;
        let id = rows[0]["id"].to_string();
        let body = app.graphql("query($id: ID!) { log(id: $id) { id message } missing: log(id: \"999999\") { id } }", json!({ "id": id })).await;
        assert_eq!(body["data"]["log"]["message"], "message 0");
        assert_eq!(body["data"]["missing"], Value::Null);

        let alerts = app.graphql("{ alerts(first: 10, filter: { status: [OPEN, ACKNOWLEDGED] }) { totalCount nodes { id status severity occurrences firstSeen } } }", json!({})).await;
        assert_eq!(alerts["data"]["alerts"]["totalCount"], 2, "{alerts}");
        let alert_id = alerts["data"]["alerts"]["nodes"][0]["id"].clone();
        let one = app.graphql("query($id: ID!) { alert(id: $id) { status occurrences } }", json!({ "id": alert_id })).await;
        assert_eq!(one["data"]["alert"]["status"], "OPEN");
        assert_eq!(one["data"]["alert"]["occurrences"], 3);
    }
}

db_test! {
    async fn bad_page_arguments_are_bad_user_input(app: TestApp) {
        app.insert_logs(sample_logs(3, JAN_1)).await;
        let (_, rows) = app.get_json("/logs").await;
        let cursor_query = "{ logs(first: 1) { pageInfo { endCursor } } }";
        let cursor = app.graphql(cursor_query, json!({})).await["data"]["logs"]["pageInfo"]["endCursor"].clone();
        assert!(cursor.is_string());
        let cases = [
            ("{ logs(first: 1001) { nodes { id } } }", json!({})),
            ("{ logs(last: 5000) { nodes { id } } }", json!({})),
            ("{ logs(first: -1) { nodes { id } } }", json!({})),
            ("{ alerts(last: -3) { nodes { id } } }", json!({})),
            ("query($c: String) { logs(skip: 2, after: $c) { nodes { id } } }", json!({ "c": cursor })),
            ("{ logs(skip: -1) { nodes { id } } }", json!({})),
            ("{ logs(after: \"bm90LWEtY3Vyc29y\") { nodes { id } } }", json!({})),
            ("{ logs(first: \"ten\") { nodes { id } } }", json!({})),
            ("{ logs(filter: { minLevel: LOUD }) { nodes { id } } }", json!({})),
            ("{ logs(filter: { since: \"not a date\" }) { nodes { id } } }", json!({})),
            ("{ log(id: \"abc\") { id } }", json!({})),
        ];
        for (query, vars) in cases {
            let body = app.graphql(query, vars).await;
            assert_eq!(code(&body), "BAD_USER_INPUT", "{query}: {body}");
        }
        // An alert cursor is not a log cursor.
        let alert_cursor = log_sentinel::service::page::CursorKey::Alert { id: 1 }.encode();
        let body = app.graphql("query($c: String) { logs(after: $c) { nodes { id } } }", json!({ "c": alert_cursor })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert_eq!(app.count("log_entries").await, 3);
        assert_eq!(rows.as_array().unwrap().len(), 3);
    }
}

db_test! {
    async fn hostile_queries_are_refused_quickly(app: TestApp) {
        // Nesting beyond the depth limit (introspection types nest without end).
        let mut deep = String::from("{ __schema { types { fields { type { ");
        for _ in 0..15 {
            deep.push_str("ofType { ");
        }
        deep.push_str("name ");
        deep.push_str(&"} ".repeat(15));
        deep.push_str("} } } } }");
        let body = app.graphql(&deep, json!({})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("deep"), "{body}");

        // Many full pages through aliases exceed the complexity limit.
        let aliases: String = (0..10)
            .map(|i| format!("a{i}: logs(first: 1000) {{ nodes {{ id timestamp level message source attributes }} }} "))
            .collect();
        let body = app.graphql(&format!("{{ {aliases} }}"), json!({})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{body}");

        // A full single page is allowed.
        let body = app.graphql("{ logs(first: 1000) { totalCount edges { cursor node { id timestamp level message source attributes } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", json!({})).await;
        assert!(body["errors"].is_null(), "{body}");

        // Batches are bounded.
        let batch: Vec<Value> = (0..50).map(|_| json!({ "query": "{ status { status } }" })).collect();
        let response = app.client.post(app.url("/graphql")).json(&batch).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(app.get("/status").await.status().as_u16(), 200);
    }
}

db_test! {
    async fn get_requests_run_queries_and_browsers_get_graphiql(app: TestApp) {
        app.insert_logs(sample_logs(2, JAN_1)).await;
        let response = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", "{ logs(first: 1) { nodes { message } } }")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["logs"]["nodes"][0]["message"], "message 0");

        let page = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(page.text().await.unwrap().to_lowercase().contains("graphiql"));
    }
}

db_test! {
    // Rows are resolved in one pass over the selection (src/graphql/rows.rs): aliases,
    // fragments, `__typename` and @skip/@include must come out as GraphQL says.
    async fn row_selections_honour_aliases_fragments_and_directives(app: TestApp) {
        app.insert_logs(sample_logs(3, JAN_1)).await;
        let body = app
            .graphql(
                "query($hide: Boolean!) {
                   logs(first: 2) {
                     nodes {
                       __typename
                       n: id
                       ...Parts
                       ... on LogEntry { level text: message }
                       message @skip(if: $hide)
                       source @include(if: $hide)
                       n: id
                     }
                   }
                   log(id: \"1\") { kind: __typename ...Parts }
                 }
                 fragment Parts on LogEntry { timestamp level }",
                json!({ "hide": true }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let nodes = body["data"]["logs"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 2);
        let first = nodes[0].as_object().expect("an object");
        let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["__typename", "level", "n", "source", "text", "timestamp"],
            "{body}"
        );
        assert_eq!(first["__typename"], "LogEntry");
        assert_eq!(first["text"], "message 0");
        assert_eq!(first["timestamp"], "2026-01-01T00:00:00.000000Z");
        assert_eq!(nodes[1]["text"], "message 1");
        assert_eq!(body["data"]["log"]["kind"], "LogEntry");
        assert_eq!(body["data"]["log"]["level"], nodes[0]["level"]);
    }
}

db_test! {
    // A request seen before without errors skips the spec's validation rules the
    // second time (src/graphql/parsed.rs); the answer must not change, and the same
    // text with other variables is validated again.
    async fn repeated_requests_answer_alike_and_new_variables_are_checked(app: TestApp) {
        app.insert_logs(sample_logs(3, JAN_1)).await;
        let query = "query Page($n: Int!) { logs(first: $n) { nodes { id message } } }";
        let first = app.graphql(query, json!({ "n": 2 })).await;
        assert!(first.get("errors").is_none(), "{first}");
        assert_eq!(first["data"]["logs"]["nodes"].as_array().map(Vec::len), Some(2));
        assert_eq!(app.graphql(query, json!({ "n": 2 })).await, first);

        let wrong = app.graphql(query, json!({ "n": "two" })).await;
        assert_eq!(wrong["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{wrong}");
        let missing = app.graphql(query, json!({})).await;
        assert_eq!(missing["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{missing}");
        let one = app.graphql(query, json!({ "n": 1 })).await;
        assert_eq!(one["data"]["logs"]["nodes"].as_array().map(Vec::len), Some(1), "{one}");
    }
}
