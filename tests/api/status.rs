use crate::db_test;

db_test! {
    async fn status_reports_ok_with_version_and_uptime(app: TestApp) {
        let (code, body) = app.get_json("/status").await;
        assert_eq!(code, 200);
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert!(body["uptime_seconds"].as_f64().is_some_and(|s| s >= 0.0));
    }
}

db_test! {
    async fn status_answers_503_when_the_database_is_gone(app: TestApp) {
        app.state.db.close_by_ref().await.expect("close the pool");
        let (code, body) = app.get_json("/status").await;
        assert_eq!(code, 503);
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["database"], "unreachable");
        // GraphQL reports the same.
        let gql = app.graphql("{ status { status database } }", serde_json::json!({})).await;
        assert_eq!(gql["data"]["status"]["status"], "degraded");
    }
}

db_test! {
    async fn trailing_slashes_are_tolerated(app: TestApp) {
        for path in ["/status/", "/logs/", "/alerts/", "/report/csv/"] {
            assert_eq!(app.get(path).await.status().as_u16(), 200, "{path}");
        }
    }
}
