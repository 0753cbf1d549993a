//! What a user expects of a command-line tool: completions, a man page, machine output on
//! stdout, enumerations that say their values, and files written only where asked.
mod common;
use boarddiff_core::report::Report;
use boarddiff_synth::case::CaseSpec;
use common::*;

#[test]
fn completions_and_the_man_page_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = String::from_utf8_lossy(&o.stdout);
        for word in ["compare", "export", "synth", "sensitivity"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.contains(".TH boarddiff") && page.contains("compare"),
        "{page}"
    );
}

#[test]
fn enumerations_list_their_values_and_refuse_others() {
    let o = run(&["export", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("reference") && help.contains("suspect") && help.contains("jpeg"),
        "{help}"
    );
    assert!(help.contains("Exit codes"), "{help}");
    for (args, needle) in [
        (
            vec!["export", "--session", "x", "--out", "y", "--on", "left"],
            "--on",
        ),
        (
            vec!["export", "--session", "x", "--out", "y", "--format", "gif"],
            "--format",
        ),
        (
            vec![
                "synth",
                "implant",
                "--reference",
                "x",
                "--out",
                "y",
                "--kinds",
                "added,moved",
            ],
            "--kinds",
        ),
        (
            vec![
                "synth",
                "implant",
                "--reference",
                "x",
                "--out",
                "y",
                "--difficulty",
                "brutal",
            ],
            "easy, medium, hard",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn compare_json_goes_to_stdout_and_eval_writes_only_where_asked() {
    let dir = temp_dir("conventions");
    let case = dir.join("case");
    std::fs::create_dir_all(&case).unwrap();
    let mut spec = CaseSpec::new(1000, 750, 41);
    spec.modifications = 1;
    spec.difficulty = 0.2;
    write_case(&case, &spec);
    let npy = dir.join("score.npy");
    let o = compare_into(
        &case,
        &dir.join("out"),
        &["--json", "--dump-score-map", npy.to_str().unwrap()],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let printed: Report = serde_json::from_slice(&o.stdout).expect("report on stdout");
    let written: Report =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(printed.regions, written.regions);
    // numpy's format: magic, header with dtype and shape, then float32 rows.
    let bytes = std::fs::read(&npy).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = String::from_utf8_lossy(&bytes[10..10 + header_len]);
    assert!(header.contains("'descr': '<f4'"), "{header}");
    let shape = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap();
    let dims: Vec<usize> = shape
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    assert_eq!(dims.len(), 2, "{header}");
    assert_eq!(bytes.len(), 10 + header_len + dims[0] * dims[1] * 4);

    let o = run_in(
        &dir,
        &[
            "synth", "pair", "--seed", "3", "--size", "800x600", "--out", "pair",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run_in(&dir, &["eval", "pair"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json_files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert!(json_files.is_empty(), "eval wrote {json_files:?} unasked");
}
