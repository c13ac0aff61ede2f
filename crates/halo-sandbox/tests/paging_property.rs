//! Property: walking every page of a list, with rows inserted between pages, yields every
//! row that existed at the start exactly once (pages are ordered by id; new rows come last).

mod common;

use common::*;
use halo_sandbox::SandboxConfig;
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn every_row_exactly_once(
        seeded in 1u64..140,
        page_size in 1u64..130,
        inserts in proptest::collection::vec(0usize..4, 0..20),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let seen = rt.block_on(async {
            let api = Api::start(SandboxConfig { seed_tickets: seeded, ..SandboxConfig::default() }).await;
            let mut seen: HashMap<i64, u32> = HashMap::new();
            let mut page = 1;
            loop {
                let (status, body) = api
                    .get(&format!("Tickets?pageinate=true&page_size={page_size}&page_no={page}"))
                    .await;
                assert_eq!(status, 200);
                let rows = body["tickets"].as_array().unwrap().clone();
                for r in &rows {
                    *seen.entry(r["id"].as_i64().unwrap()).or_default() += 1;
                }
                if (rows.len() as u64) < body["page_size"].as_u64().unwrap() || rows.is_empty() {
                    break;
                }
                let n = inserts.get(page - 1).copied().unwrap_or(0);
                for _ in 0..n {
                    api.post("Tickets", &json!([{"summary": "inserted mid-walk"}])).await;
                }
                page += 1;
                assert!(page < 1000, "loop guard");
            }
            seen
        });
        for id in 1..=seeded as i64 {
            prop_assert_eq!(seen.get(&id).copied(), Some(1), "row {} of {}", id, seeded);
        }
        prop_assert!(seen.values().all(|n| *n == 1), "no row twice");
    }
}
