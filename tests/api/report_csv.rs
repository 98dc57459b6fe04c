use log_sentinel::{
    domain::{Level, Timestamp},
    service::logs::NewLog,
};

use crate::{common::JAN_1, db_test};

const AWKWARD: [&str; 8] = [
    "plain",
    "comma, inside",
    "a \"quoted\" word",
    "two\nlines\r\nand CRLF",
    "unicode: café 日本語 🚀",
    "=1+1",
    "@SUM(A1:A2)",
    "-2+3",
];

db_test! {
    async fn csv_round_trips_awkward_messages_and_neutralises_formulas(app: TestApp) {
        let logs = AWKWARD
            .iter()
            .enumerate()
            .map(|(i, m)| NewLog {
                timestamp: Timestamp(JAN_1 + i as i64),
                level: Level::Error,
                message: (*m).to_owned(),
                source: None,
                attributes: None,
            })
            .collect();
        app.insert_logs(logs).await;

        let response = app.get("/report/csv").await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"logs-") && disposition.ends_with(".csv\""), "{disposition}");
        let text = response.text().await.unwrap();
        assert!(text.starts_with("id,timestamp,level,message\n"));

        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("valid CSV")).collect();
        assert_eq!(rows.len(), AWKWARD.len());
        for (row, original) in rows.iter().zip(AWKWARD) {
            let expected = if original.starts_with(['=', '+', '-', '@']) {
                format!("'{original}")
            } else {
                original.to_owned()
            };
            assert_eq!(&row[3], expected);
            assert_eq!(&row[2], "ERROR");
            assert!(row[0].parse::<i64>().is_ok(), "id untouched");
        }
        assert_eq!(&rows[0][1], "2026-01-01T00:00:00.000000Z");
    }
}

db_test! {
    async fn csv_applies_the_log_filters_and_has_no_row_limit(app: TestApp) {
        app.insert_logs(crate::common::sample_logs(1500, JAN_1)).await;
        let all = app.get("/report/csv").await.text().await.unwrap();
        assert_eq!(csv::Reader::from_reader(all.as_bytes()).records().count(), 1500);

        let errors = app.get("/report/csv?level=ERROR&order=desc").await.text().await.unwrap();
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(errors.as_bytes()).records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 300);
        assert!(rows.iter().all(|r| &r[2] == "ERROR"));
        assert!(rows[0][1] > rows[1][1], "newest first");
    }
}
