//! `halo attachments` (list, download, upload, delete) and `halo tickets view` against the
//! sandbox: byte-for-byte round trips, no overwriting without --force, hostile names kept
//! inside the target directory, refusals before anything is sent, and no half file left by
//! a cut connection.

mod common;

use common::desk::Desk;
use halo_sandbox::Faults;
use serde_json::Value;
use std::path::Path;

/// The seeded attachment with the hostile name (`../../evil.sh`, on ticket 2).
const HOSTILE: &str = "3";

/// `len` bytes that do not repeat in any short period (so a shifted or truncated copy
/// never matches).
fn random_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Every file below `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn posts_to_attachment(desk: &Desk) -> usize {
    desk.sandbox
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.eq_ignore_ascii_case("/api/Attachment"))
        .count()
}

#[tokio::test]
async fn a_five_mb_file_comes_back_byte_for_byte_and_is_never_overwritten_without_force() {
    let desk = Desk::connected(5).await;
    let work = tempfile::tempdir().unwrap();
    let data = random_bytes(5 << 20);
    let src = work.path().join("big.bin");
    std::fs::write(&src, &data).unwrap();
    let src_text = src.to_string_lossy().into_owned();
    let saved = desk
        .halo(&[
            "attachments",
            "upload",
            "--ticket",
            "4",
            "--note",
            "five MB",
            &src_text,
            "-o",
            "json",
        ])
        .await
        .json();
    let id = saved[0]["id"].as_i64().expect("an id").to_string();
    assert_eq!(saved[0]["filesize"].as_i64(), Some(5 << 20), "{saved}");

    let out = work.path().join("back");
    std::fs::create_dir(&out).unwrap();
    let out_text = out.to_string_lossy().into_owned();
    let got = desk
        .halo(&[
            "attachments",
            "download",
            &id,
            "--out",
            &out_text,
            "-o",
            "json",
        ])
        .await
        .json();
    let path = out.join("big.bin");
    assert_eq!(
        got[0]["path"].as_str(),
        Some(path.to_string_lossy().as_ref())
    );
    assert_eq!(got[0]["bytes"].as_u64(), Some(5 << 20));
    assert!(std::fs::read(&path).unwrap() == data, "the bytes differ");

    // Again without --force: refused, the first file untouched, no .partial left.
    std::fs::write(&path, b"edited since").unwrap();
    let again = desk
        .halo(&["attachments", "download", &id, "--out", &out_text])
        .await;
    assert_eq!(again.code, 2, "{}", again.printed.err());
    assert!(
        again.printed.err().contains("--force"),
        "{}",
        again.printed.err()
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"edited since");
    assert_eq!(files(&out), ["big.bin"]);

    // The same with --out FILE: refused before the request is sent.
    desk.sandbox.clear_journal();
    let path_text = path.to_string_lossy().into_owned();
    let again = desk
        .halo(&["attachments", "download", &id, "--out", &path_text])
        .await;
    assert_eq!(again.code, 2, "{}", again.printed.err());
    assert!(
        !desk
            .sandbox
            .journal()
            .iter()
            .any(|e| e.path.to_ascii_lowercase().starts_with("/api/attachment")),
        "a request was sent"
    );

    // With --force it is replaced.
    desk.halo(&[
        "attachments",
        "download",
        &id,
        "--out",
        &out_text,
        "--force",
    ])
    .await
    .ok();
    assert!(std::fs::read(&path).unwrap() == data, "not replaced");
    assert_eq!(files(&out), ["big.bin"]);
}

#[tokio::test]
async fn a_hostile_name_is_saved_as_a_plain_file_inside_the_target() {
    let desk = Desk::connected(5).await;
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("a").join("b");
    std::fs::create_dir_all(&target).unwrap();
    let target_text = target.to_string_lossy().into_owned();
    let got = desk
        .halo(&[
            "attachments",
            "download",
            HOSTILE,
            "--out",
            &target_text,
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(files(&target), ["evil.sh"]);
    assert_eq!(
        got[0]["path"].as_str(),
        Some(target.join("evil.sh").to_string_lossy().as_ref())
    );
    // Nothing above the target directory.
    assert_eq!(files(root.path()), ["a"]);
    assert_eq!(files(&root.path().join("a")), ["b"]);
    let text = std::fs::read_to_string(target.join("evil.sh")).unwrap();
    assert!(text.starts_with("#!/bin/sh"), "{text}");
}

#[tokio::test]
async fn a_name_shared_by_two_ids_in_one_call_is_an_error() {
    let desk = Desk::connected(5).await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("same.txt");
    std::fs::write(&file, b"one").unwrap();
    let file_text = file.to_string_lossy().into_owned();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let saved = desk
            .halo(&[
                "attachments",
                "upload",
                "--ticket",
                "3",
                &file_text,
                "-o",
                "json",
            ])
            .await
            .json();
        ids.push(saved[0]["id"].as_i64().unwrap().to_string());
    }
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let out_text = out.to_string_lossy().into_owned();
    let ran = desk
        .halo(&[
            "attachments",
            "download",
            &ids[0],
            &ids[1],
            "--out",
            &out_text,
            "--force",
        ])
        .await;
    assert_eq!(ran.code, 2, "{}", ran.printed.err());
    assert!(
        ran.printed.err().contains("both named"),
        "{}",
        ran.printed.err()
    );
    assert_eq!(files(&out), ["same.txt"]);
}

#[tokio::test]
async fn a_file_over_the_limit_missing_or_a_directory_is_refused_before_anything_is_sent() {
    let desk = Desk::connected(5).await;
    let work = tempfile::tempdir().unwrap();
    let big = work.path().join("big.bin");
    std::fs::write(&big, vec![7u8; (1 << 20) + 1]).unwrap();
    let small = work.path().join("small.txt");
    std::fs::write(&small, b"fine").unwrap();
    let (big, small) = (
        big.to_string_lossy().into_owned(),
        small.to_string_lossy().into_owned(),
    );
    let dir = work.path().to_string_lossy().into_owned();
    let missing = work.path().join("nope").to_string_lossy().into_owned();
    for (file, says) in [
        (&big, "over the 1 MiB limit"),
        (&dir, "is a directory"),
        (&missing, "nope"),
    ] {
        // The good file first: it is not sent either.
        let ran = desk
            .halo(&[
                "attachments",
                "upload",
                "--ticket",
                "1",
                "--max-mb",
                "1",
                &small,
                file,
            ])
            .await;
        assert_eq!(ran.code, 2, "{}", ran.printed.err());
        let err = ran.printed.err();
        assert!(err.contains(says) && err.lines().count() == 1, "{err}");
    }
    assert_eq!(posts_to_attachment(&desk), 0);
}

#[tokio::test]
async fn a_download_cut_short_leaves_no_file_and_no_partial() {
    let desk = Desk::connected(5).await;
    let work = tempfile::tempdir().unwrap();
    // Large enough that the sandbox sends part of the body before it cuts the connection.
    let src = work.path().join("cut.bin");
    std::fs::write(&src, random_bytes(4 << 20)).unwrap();
    let src_text = src.to_string_lossy().into_owned();
    let saved = desk
        .halo(&[
            "attachments",
            "upload",
            "--ticket",
            "1",
            &src_text,
            "-o",
            "json",
        ])
        .await
        .json();
    let id = saved[0]["id"].as_i64().unwrap().to_string();
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let out_text = out.to_string_lossy().into_owned();
    // The token is taken (and cached) already: from now on every answer is cut half way.
    desk.sandbox.set_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    let ran = desk
        .halo(&[
            "attachments",
            "download",
            &id,
            "--out",
            &out_text,
            "--max-retries",
            "0",
        ])
        .await;
    assert_eq!(ran.code, 1, "{}", ran.printed.err());
    let err = ran.printed.err();
    assert!(
        err.contains("the download stopped after") && err.contains("nothing was kept"),
        "{err}"
    );
    assert!(files(&out).is_empty(), "{:?}", files(&out));
}

#[tokio::test]
async fn list_view_and_get_show_the_metadata() {
    let desk = Desk::connected(5).await;
    let listed = desk
        .halo(&["attachments", "list", "--ticket", "1", "-o", "json"])
        .await
        .json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    assert_eq!(names, ["network-diagram.png", "notes.txt"], "{listed}");
    let csv = desk
        .halo(&[
            "attachments",
            "list",
            "--ticket",
            "1",
            "-o",
            "csv",
            "--columns",
            "id,filename",
        ])
        .await
        .ok()
        .printed
        .out();
    assert!(csv.contains("2,notes.txt"), "{csv}");

    let view = desk
        .halo(&["tickets", "view", "1", "-o", "table"])
        .await
        .ok()
        .printed
        .out();
    assert!(view.contains("Attachments (2):"), "{view}");
    assert!(view.contains("#2  notes.txt  "), "{view}");
    let view = desk
        .halo(&["tickets", "view", "2", "-o", "json"])
        .await
        .json();
    assert_eq!(
        view["attachments"][0]["filename"].as_str(),
        Some("../../evil.sh")
    );

    // `get` is of the object: the metadata, not the bytes.
    let got = desk
        .halo(&["attachments", "get", "2", "-o", "json"])
        .await
        .json();
    assert_eq!(got["filename"].as_str(), Some("notes.txt"), "{got}");
}

#[tokio::test]
async fn delete_needs_yes_without_a_terminal() {
    let desk = Desk::connected(5).await;
    let ran = desk.halo(&["attachments", "delete", "2"]).await;
    assert_eq!(ran.code, 2, "{}", ran.printed.err());
    assert!(ran.printed.err().contains("--yes"), "{}", ran.printed.err());
    assert!(!desk.sandbox.journal().iter().any(|e| e.method == "DELETE"));
    desk.halo(&["attachments", "delete", "2", "--yes"])
        .await
        .ok();
    let listed: Value = desk
        .halo(&["attachments", "list", "--ticket", "1", "-o", "json"])
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}
