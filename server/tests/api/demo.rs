//! The demo's history: two years of records through the 2025 reform, loaded once, true to
//! what the generator says.

use domain::api::StateCount;
use domain::calendar::LocalTime;
use reqwest::StatusCode;
use server::demo::history::{self, PHOTOS};
use sha2::{Digest, Sha256};

use crate::helpers::spawn_app_with_config;

#[tokio::test]
async fn the_demo_history_loads_once_and_shows_the_merged_wards_with_their_records() {
    let app = spawn_app_with_config(|c| c.demo_history = true).await;
    let today = LocalTime::at(server::now_ms()).date;
    let expected = history::generate(today);
    assert_eq!(app.total_records().await, expected.records.len() as i64);

    // Loading again (a restart with --demo --demo-history) changes nothing.
    server::demo::load(&app.state.db).await.unwrap();
    let again = history::load(&app.state.db, &app.state.photos, server::now_ms())
        .await
        .unwrap();
    assert_eq!(again, None);
    assert_eq!(app.total_records().await, expected.records.len() as i64);

    // The reform happened: the old wards are closed, the new ones hold every group.
    let admin = app.login("admin").await;
    let wards = app.admin_wards(&admin).await;
    for old in server::demo::WARDS {
        let w = wards.iter().find(|w| w.name == old).unwrap();
        assert!(w.closed_from.is_some() && w.groups.is_empty(), "{w:?}");
    }
    let groups: usize = history::NEW_WARDS
        .iter()
        .map(|name| wards.iter().find(|w| &w.name == name).unwrap().groups.len())
        .sum();
    assert_eq!(groups, 3 * history::GROUPS as usize);

    // Tây Hồ's supervisor (the demo's truongcong, of Nhật Tân before) sees its records, of
    // both sides of the reform, some waiting.
    let boss = app.login("truongcong").await;
    assert_eq!(app.me(&boss).await.ward.unwrap().name, "Tây Hồ");
    let counts: Vec<StateCount> = app
        .get(&boss, "/api/records/counts")
        .await
        .json()
        .await
        .unwrap();
    let in_tay_ho = expected
        .records
        .iter()
        .filter(|r| r.new_ward() == 0)
        .count() as i64;
    assert_eq!(counts.iter().map(|c| c.count).sum::<i64>(), in_tay_ho);
    let waiting = counts
        .iter()
        .find(|c| c.status == domain::record::RecordStatus::Received)
        .map_or(0, |c| c.count);
    assert!(waiting > 0, "{counts:?}");
    // Without a filter the counts are the ward tallies'; a filter that keeps every record
    // makes them counted from the records: state by state the same, for the ward and for the
    // province (the history's reorganisation moved records between wards).
    for token in [&boss, &app.login("congantinh").await] {
        let mut read = Vec::new();
        for path in ["/api/records/counts", "/api/records/counts?from=0"] {
            let counts: Vec<StateCount> = app.get(token, path).await.json().await.unwrap();
            read.push(counts);
        }
        assert!(read[0].iter().any(|c| c.count > 0), "{read:?}");
        assert_eq!(read[0], read[1]);
    }

    // The provincial account reads both new wards.
    let province = app.login("congantinh").await;
    let counts: Vec<StateCount> = app
        .get(&province, "/api/records/counts")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        counts.iter().map(|c| c.count).sum::<i64>(),
        expected.records.len() as i64
    );

    // Its photos are there.
    let with_photo = expected
        .records
        .iter()
        .find(|r| r.new_ward() == 0 && !r.photos.is_empty())
        .unwrap();
    let bytes = PHOTOS[with_photo.photos[0]];
    let resp = app
        .get(
            &boss,
            &format!("/api/photos/{}", hex::encode(Sha256::digest(bytes))),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes);
}
