//! The ward's indicators: the facets each record is counted by, and the dashboard's numbers,
//! checked against the demo's history counted here, apart from the server's SQL.

use domain::sync::PushOutcome;
use serde_json::json;

use crate::helpers::{spawn_app, valid_report};

async fn facets_of(app: &crate::helpers::TestApp, id: uuid::Uuid) -> (String, i64, Option<String>) {
    sqlx::query_as("SELECT category, serious, subject FROM records WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_records_facets_are_stored_with_it_and_filled_in_for_older_records_at_start() {
    let app = spawn_app().await;
    let leader = app.login("totruong").await;
    let group = app.me(&leader).await.group.unwrap().id;
    let mut report = valid_report(group);
    report
        .data
        .insert("category".into(), json!("traffic_accident"));
    report.data.insert("serious".into(), json!(true));
    let id = report.id;
    assert_eq!(
        app.push_ok(&leader, vec![report]).await,
        [PushOutcome::Accepted]
    );
    assert_eq!(
        facets_of(&app, id).await,
        ("traffic_accident".into(), 1, None)
    );

    // A record stored before the columns existed gets them at the next start.
    sqlx::query("UPDATE records SET category = NULL, serious = 0 WHERE id = $1")
        .bind(id.to_string())
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let app = app.restart().await;
    assert_eq!(
        facets_of(&app, id).await,
        ("traffic_accident".into(), 1, None)
    );
}
