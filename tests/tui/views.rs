//! Snapshots of every view at 80x24, 100x30 and 160x48, mono theme, fixed clock, driven by
//! actions; and checks over all of them (no prose cut mid-word, an uncut footer).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use trawl::model::{Score, ScoreSource, Verdict};
use trawl::store::Store;
use trawl::tui::{Action, App, Cmd};

use crate::drive::now;
use crate::util::{FixtureStore, fixture_store};

fn app(w: u16, h: u16) -> (FixtureStore, App) {
    let fx = fixture_store();
    let mut app = App::new_for_test(fx.open(), now());
    app.dispatch(Action::Resize(w, h));
    (fx, app)
}

fn run(app: &mut App, cmds: &[Cmd]) {
    for c in cmds {
        app.dispatch(Action::Cmd(*c));
    }
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.dispatch(Action::InputChar(c));
    }
}

fn snap(name: &str, app: &App, w: u16, h: u16) {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| trawl::tui::views::draw(f, app)).unwrap();
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
}

const SIZES: [(u16, u16); 3] = [(80, 24), (100, 30), (160, 48)];

#[test]
fn list_views() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        snap("list", &a, w, h);
        run(&mut a, &[Cmd::FilterLine]);
        typed(&mut a, "on:tuesday model:gpt-4o \"tent\"");
        snap("list_filter_line", &a, w, h);
        run(&mut a, &[Cmd::InputSubmit]);
        snap("list_filtered", &a, w, h);
    }
}

#[test]
fn trace_detail_views() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        run(
            &mut a,
            &[Cmd::Down, Cmd::Down, Cmd::Down, Cmd::Open, Cmd::NextLlm],
        );
        // 80 columns: duration column; 160: waterfall.
        snap("trace_detail", &a, w, h);
        run(&mut a, &[Cmd::Open]);
        snap("span_messages", &a, w, h);
        run(&mut a, &[Cmd::NextTab, Cmd::NextTab]);
        snap("span_attributes", &a, w, h);
        run(&mut a, &[Cmd::NextTab]);
        snap("span_cost", &a, w, h);
        run(&mut a, &[Cmd::Back, Cmd::Search]);
        typed(&mut a, "retriever");
        // A retriever opens on its documents, whatever tab the last span showed.
        run(&mut a, &[Cmd::InputSubmit, Cmd::Open]);
        snap("span_documents", &a, w, h);
    }
}

/// Issue 11's wrong answer (trace a9a71350: "30 days", the passage says 14) in the trace view
/// and the evidence pane at every size: side by side from 100 columns, stacked below.
#[test]
fn trace_and_evidence_views() {
    for (w, h) in [(80, 24), (100, 30), (160, 48)] {
        let fx = fixture_store();
        let store = fx.open();
        let id = fx.ids.iter().find(|i| i.starts_with("a9a71350")).unwrap();
        store
            .insert_score(&Score {
                verdict: Some(Verdict::False),
                explanation: Some(
                    "The context allows price-difference refunds within 14 days, not 30.".into(),
                ),
                model: Some("gpt-4o-mini".into()),
                created_at_ns: Some(1_794_000_000_000_000_000),
                ..Score::new(ScoreSource::Judge, id, "grounded")
            })
            .unwrap();
        let mut a = App::new_for_test(store, now());
        a.dispatch(Action::Resize(w, h));
        run(&mut a, &[Cmd::CommandLine]);
        typed(&mut a, "open a9a71350");
        run(&mut a, &[Cmd::InputSubmit]);
        snap("trace_refund", &a, w, h);
        run(&mut a, &[Cmd::Evidence]);
        snap("evidence", &a, w, h);
        run(&mut a, &[Cmd::Bottom]);
        snap("evidence_end", &a, w, h);
    }
}

#[test]
fn session_help_and_getting_started() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        run(&mut a, &[Cmd::Session]);
        snap("session", &a, w, h);
        run(&mut a, &[Cmd::ToggleHelp]);
        snap("help", &a, w, h);
        let mut empty = App::new_for_test(Store::open_in_memory().unwrap(), now());
        empty.dispatch(Action::Resize(w, h));
        snap("getting_started", &empty, w, h);
    }
    let (_d, a) = app(50, 12);
    snap("too_small", &a, 50, 12);
}

fn flag(app_store: &Store) -> Vec<String> {
    let ids: Vec<String> = app_store
        .list_traces(
            &Default::default(),
            trawl::store::SortKey::Start,
            true,
            4,
            0,
        )
        .unwrap()
        .into_iter()
        .map(|r| r.trace_id)
        .collect();
    let add = |source, id: &str, rule: &str, v, author: Option<&str>| {
        app_store
            .insert_score(&Score {
                verdict: Some(v),
                explanation: Some(format!(
                    "{rule}: the answer cites a policy no document states"
                )),
                model: Some("gpt-4o-mini".into()),
                author: author.map(str::to_string),
                cost_usd: Some(0.00012),
                created_at_ns: Some(1_794_000_000_000_000_000),
                ..Score::new(source, id, rule)
            })
            .unwrap();
    };
    add(
        ScoreSource::Judge,
        &ids[0],
        "grounded",
        Verdict::False,
        None,
    );
    add(ScoreSource::Judge, &ids[0], "answered", Verdict::True, None);
    add(
        ScoreSource::Judge,
        &ids[1],
        "grounded",
        Verdict::False,
        None,
    );
    add(ScoreSource::Judge, &ids[2], "grounded", Verdict::True, None);
    add(
        ScoreSource::Human,
        &ids[1],
        "grounded",
        Verdict::True,
        Some("alice"),
    );
    add(
        ScoreSource::Human,
        &ids[2],
        "grounded",
        Verdict::True,
        Some("alice"),
    );
    ids
}

fn flagged_app(w: u16, h: u16) -> (FixtureStore, App) {
    let fx = fixture_store();
    let s = fx.open();
    flag(&s);
    let mut app = App::new_for_test(s, now());
    app.author = "tester".into();
    app.judge_provider = trawl::judge::ProviderConfig::new(trawl::judge::ProviderKind::OpenAi);
    app.judge_provider.base_url = "http://127.0.0.1:9/v1".into();
    app.dispatch(Action::Resize(w, h));
    (fx, app)
}

#[test]
fn judge_popup_views() {
    for (w, h) in SIZES {
        let (_d, mut a) = flagged_app(w, h);
        run(
            &mut a,
            &[Cmd::ToggleMark, Cmd::ToggleMark, Cmd::Judge, Cmd::Down],
        );
        let rules = match &a.judge_popup().unwrap().stage {
            trawl::tui::panes::judge::JudgeStage::Pick { rules, .. } => rules.clone(),
            other => panic!("{other:?}"),
        };
        let i = rules.iter().position(|r| r.id == "grounded").unwrap();
        run(&mut a, &[Cmd::Pick(u8::try_from(i + 1).unwrap())]);
        snap("judge_rules", &a, w, h);
        run(&mut a, &[Cmd::Confirm]);
        snap("judge_confirm", &a, w, h);
    }
}

#[test]
fn triage_agreement_and_metrics_views() {
    for (w, h) in SIZES {
        let (_d, mut a) = flagged_app(w, h);
        run(&mut a, &[Cmd::Triage]);
        snap("triage", &a, w, h);
        run(&mut a, &[Cmd::LabelFalse]);
        snap("triage_labelled", &a, w, h);
        run(&mut a, &[Cmd::Agreement]);
        snap("agreement", &a, w, h);
        run(&mut a, &[Cmd::Back, Cmd::Back, Cmd::Metrics]);
        snap("metrics", &a, w, h);
        run(
            &mut a,
            &[Cmd::NextTab, Cmd::NextTab, Cmd::NextTab, Cmd::Prev],
        );
        snap("metrics_p95", &a, w, h);
    }
}

// ── layout at every size (s11-layout) ───────────────────────────────────────────────────

#[test]
fn help_scrolled_to_the_end_shows_every_judge_variable() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        run(&mut a, &[Cmd::ToggleHelp, Cmd::Bottom]);
        let text = screen(&a, w, h);
        for s in trawl::config::SETTINGS
            .iter()
            .filter(|s| s.key.starts_with("judge."))
        {
            assert!(
                text.contains(s.env),
                "{w}x{h}: help lacks {}:\n{text}",
                s.env
            );
        }
        snap("help_end", &a, w, h);
    }
}

#[test]
fn long_errors_wrap_instead_of_being_cut() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        // An error from the command line (~130 columns), as long as the judge's missing-key one.
        run(&mut a, &[Cmd::CommandLine]);
        typed(&mut a, "no-such-command-with-a-long-name");
        run(&mut a, &[Cmd::InputSubmit]);
        let text = screen(&a, w, h);
        assert!(text.contains(":agreement, :judge)"), "{w}x{h}:\n{text}");
        snap("status_error", &a, w, h);
    }
}

/// The screen as text, one line per row.
fn screen(app: &App, w: u16, h: u16) -> String {
    trawl::tui::views::screen_rows(app, w, h).join("\n")
}

/// Every snapshot of the TUI (tests/tui/snapshots), as (file name, screen rows).
fn all_snapshots() -> Vec<(String, Vec<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tui/snapshots");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("snap") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Rows are the quoted lines after the `---` header.
        let rows: Vec<String> = text
            .lines()
            .filter(|l| l.len() >= 2 && l.starts_with('"') && l.ends_with('"'))
            .map(|l| {
                l[1..l.len() - 1]
                    .replace("\\\"", "\"")
                    .replace("\\\\", "\\")
            })
            .collect();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, rows));
    }
    assert!(
        out.len() > 50,
        "only {} snapshots found in {}",
        out.len(),
        dir.display()
    );
    out
}

/// The rule, precisely: a row is *prose cut mid-word* when
/// 1. its text (trailing blanks and a closing box border `│` removed) ends in `…` right after
///    a non-blank character that is not box drawing — a word was cut; and
/// 2. that `…` is in the last two columns of its area (the screen, or the box the row is in):
///    the text ran into the edge, so it was one long line where the next row could have held
///    the rest (a `computing…` that ends a short message is not at the edge); and
/// 3. the row is prose: after its indentation, no run of two or more blanks separates its
///    words. Tables separate columns with runs of blanks and cut a cell with `…` by design
///    (a list row cannot wrap); those rows are not prose.
///
/// Such a line should have been wrapped (or shortened on purpose without cutting a word).
fn is_box(c: char) -> bool {
    ('\u{2500}'..='\u{257F}').contains(&c)
}

fn cut_mid_word(row: &str) -> bool {
    let chars: Vec<char> = row.chars().collect();
    let mut end = chars.len();
    while end > 0 && chars[end - 1] == ' ' {
        end -= 1;
    }
    let mut edge = chars.len();
    if end > 0 && chars[end - 1] == '│' {
        // Inside a box: its edge is the border.
        edge = end - 1;
        end -= 1;
        while end > 0 && chars[end - 1] == ' ' {
            end -= 1;
        }
    }
    if end < 2 || chars[end - 1] != '…' || chars[end - 2] == ' ' || is_box(chars[end - 2]) {
        return false;
    }
    if edge - end > 1 {
        return false;
    }
    let start = chars[..end]
        .iter()
        .position(|c| !matches!(c, ' ' | '│'))
        .unwrap_or(0);
    let text: String = chars[start..end].iter().collect();
    !text.contains("  ")
}

#[test]
fn the_cut_rule_catches_what_it_should() {
    // A figures line run into the edge of an 80-column screen.
    assert!(cut_mid_word(
        "day 2026-11-15 · traces 5 (+400%) · error rate 0.0% (+0%) · latency p50 827ms (…"
    ));
    // The same inside a box.
    assert!(cut_mid_word(
        "│no API key: set the environment variable OPENAI_API_KEY (ke…│"
    ));
    // A table cell cut by design; a short message ending in an ellipsis.
    assert!(!cut_mid_word(
        "  11-15 16:23:02 Can I return an opened GPS watch? I …   728ms"
    ));
    assert!(!cut_mid_word(
        "● 11-15 16:24:41 So there's no restockin…   673ms  answered✓ g…"
    ));
    assert!(!cut_mid_word(
        "computing…                                       "
    ));
}

#[test]
fn no_snapshot_cuts_prose_mid_word_and_every_footer_is_whole() {
    let mut bad = Vec::new();
    for (name, rows) in all_snapshots() {
        for (i, row) in rows.iter().enumerate() {
            if cut_mid_word(row) {
                bad.push(format!("{name} row {i}: {row}"));
            }
        }
        // The footer is whole: it never ends in a separator or a cut word, and a pane's footer
        // keeps `? help` (the input line, the help overlay and the judge set-up form, where `?`
        // is text, have their own keys).
        let footer = rows.last().map(|r| r.trim_end()).unwrap_or_default();
        let is_pane = !name.contains("filter_line")
            && !name.contains("too_small")
            && !name.contains("__help")
            && !name.contains("judge_setup");
        if footer.ends_with('·') || footer.ends_with('…') {
            bad.push(format!("{name}: footer cut: {footer}"));
        }
        if is_pane && footer.contains(" · ") && !footer.contains("? help") {
            bad.push(format!("{name}: footer lacks ? help: {footer}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn metrics_false_rate_marks_zero_and_not_judged_apart() {
    for (w, h) in SIZES {
        let (_d, mut a) = flagged_app(w, h);
        run(&mut a, &[Cmd::Metrics]);
        let answered = a
            .metrics()
            .unwrap()
            .metrics
            .iter()
            .position(|k| k.label() == "answered FALSE rate")
            .unwrap();
        for _ in 0..answered {
            run(&mut a, &[Cmd::NextTab]);
        }
        let text = screen(&a, w, h);
        // The newest day has one judged trace, answered TRUE: 0% on the baseline; the days
        // before have traces but no verdicts: —.
        assert!(
            text.contains("0%") && text.contains('▁'),
            "{w}x{h}:\n{text}"
        );
        assert!(text.contains('—'), "{w}x{h}:\n{text}");
        assert!(text.contains("n too small to compare"), "{w}x{h}:\n{text}");
        snap("metrics_false_rate", &a, w, h);
    }
}

/// The flagged app judging with OpenAI's own endpoint and no key in the environment.
fn keyless_app(w: u16, h: u16) -> (FixtureStore, App) {
    let (d, mut a) = flagged_app(w, h);
    a.judge_provider = trawl::judge::ProviderConfig::new(trawl::judge::ProviderKind::OpenAi);
    a.judge_provider.api_key_env = "TRAWL_TEST_NO_SUCH_KEY".into();
    a.env_is_set = |_| false;
    (d, a)
}

#[test]
fn judging_without_a_key_opens_the_set_up_form() {
    for (w, h) in SIZES {
        let (_d, mut a) = keyless_app(w, h);
        run(&mut a, &[Cmd::ToggleMark, Cmd::Judge]);
        assert_eq!(a.mode(), trawl::tui::keymap::Mode::JudgeSetup);
        snap("judge_setup", &a, w, h);
        // Enter with the key still missing explains what to do, in the form.
        run(&mut a, &[Cmd::Confirm]);
        let text = screen(&a, w, h);
        assert!(text.contains("TRAWL_TEST_NO_SUCH_KEY is not set"), "{text}");
        snap("judge_setup_problem", &a, w, h);
    }
}

#[test]
fn the_set_up_form_switches_to_a_local_server_and_goes_on_to_the_rules() {
    let (_d, mut a) = keyless_app(80, 24);
    run(&mut a, &[Cmd::ToggleMark, Cmd::Judge]);
    // The base URL field has the focus; `?`, `:` and `q` are text here.
    for _ in 0..40 {
        run(&mut a, &[Cmd::InputBackspace]);
    }
    typed(&mut a, "http://localhost:11434/v1");
    run(&mut a, &[Cmd::NextTab]);
    for _ in 0..40 {
        run(&mut a, &[Cmd::InputBackspace]);
    }
    typed(&mut a, "llama3.1:8b?q");
    run(&mut a, &[Cmd::Confirm]);
    assert_eq!(a.mode(), trawl::tui::keymap::Mode::Judge);
    assert_eq!(a.judge_provider.base_url, "http://localhost:11434/v1");
    assert_eq!(a.judge_provider.model, "llama3.1:8b?q");
    assert_eq!(a.judge_provider.api_key_env, "TRAWL_TEST_NO_SUCH_KEY");
}

#[test]
fn a_key_over_plain_http_is_confirmed_in_the_popup_and_never_shown() {
    let (_d, mut a) = flagged_app(100, 30);
    // A variable that is always set stands in for the key; a remote host over http.
    a.judge_provider.api_key_env = "PATH".into();
    a.judge_provider.base_url = "http://192.0.2.1:9/v1".into();
    run(
        &mut a,
        &[Cmd::ToggleMark, Cmd::Judge, Cmd::Pick(1), Cmd::Confirm],
    );
    let text = screen(&a, 100, 30);
    assert!(
        text.contains("would go over plain http to 192.0.2.1"),
        "{text}"
    );
    let path = std::env::var("PATH").unwrap();
    let first = path.split(':').next().unwrap();
    assert!(!text.contains(first), "the key's value is on screen");
}

#[test]
fn the_list_title_shows_false_rate_sparklines_per_rule() {
    for (w, h) in SIZES {
        let (_d, a) = flagged_app(w, h);
        let rules: Vec<&str> = a.rule_trends.iter().map(|t| t.rule.as_str()).collect();
        assert_eq!(rules, ["answered", "grounded"]);
        let title = screen(&a, w, h).lines().next().unwrap().to_string();
        // grounded: 2 of 3 judged traces FALSE on the newest day; answered: 0 of 1.
        assert!(
            title.contains("grounded ") && title.contains('▆'),
            "{title}"
        );
        assert!(
            title.contains("answered ") && title.contains('▁'),
            "{title}"
        );
        snap("list_trends", &a, w, h);
    }
}

#[test]
fn the_judges_missing_key_error_is_shown_whole_at_every_size() {
    let message = trawl::judge::JudgeError::MissingKey {
        var: "OPENAI_API_KEY".into(),
        base_url: "https://api.openai.com/v1".into(),
    }
    .to_string();
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        a.status = Some(trawl::tui::status::Status {
            text: format!("judge: {message}"),
            error: true,
        });
        let text = screen(&a, w, h);
        // The message's words in order, the counter and `? help` beside it left out.
        let words: String = text
            .replace("1/40", "")
            .replace("? help", "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let wanted: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains(&wanted), "{w}x{h}:\n{text}");
        assert!(
            text.contains("1/40"),
            "{w}x{h}: the position counter is gone:\n{text}"
        );
        snap("status_missing_key", &a, w, h);
        // Twice as long: it takes rows of the pane above while it is shown.
        a.status = Some(trawl::tui::status::Status {
            text: format!("{message} / {message}"),
            error: true,
        });
        let text = screen(&a, w, h);
        let words = text
            .replace("1/40", "")
            .replace("? help", "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            words.contains(&format!("{wanted} / {wanted}")),
            "{w}x{h}:\n{text}"
        );
    }
}

#[test]
fn metrics_by_hour_and_grouped_keep_a_linear_axis() {
    for (w, h) in SIZES {
        let (_d, mut a) = flagged_app(w, h);
        // Day → week → hour; then group by model.
        run(
            &mut a,
            &[
                Cmd::Metrics,
                Cmd::CycleBucket,
                Cmd::CycleBucket,
                Cmd::CycleGroup,
            ],
        );
        let m = a.metrics().unwrap();
        assert_eq!(m.bucket, trawl::metrics::Bucket::Hour);
        let series = m.series();
        let hour = trawl::metrics::Bucket::Hour.len_ns();
        assert!(
            series
                .windows(2)
                .all(|p| p[1].start_ns - p[0].start_ns == hour),
            "hours are consecutive"
        );
        snap("metrics_by_hour_grouped", &a, w, h);
    }
}

#[test]
fn a_long_filter_in_the_title_keeps_whole_terms() {
    let filter = "since:2026-11-01 until:2026-11-16 model:gpt-4o status:ok name:support_bot.answer_question \"tent\"";
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        run(&mut a, &[Cmd::FilterLine]);
        typed(&mut a, filter);
        run(&mut a, &[Cmd::InputSubmit]);
        let title = screen(&a, w, h).lines().next().unwrap().to_string();
        if w < 130 {
            assert!(title.contains(" more"), "{w}x{h}: {title}");
        } else {
            assert!(title.contains(filter), "{w}x{h}: {title}");
        }
        snap("list_long_filter", &a, w, h);
    }
}

#[test]
fn s_in_the_judge_popup_opens_the_settings_and_comes_back() {
    let (_d, mut a) = flagged_app(80, 24);
    run(&mut a, &[Cmd::ToggleMark, Cmd::Judge, Cmd::JudgeSettings]);
    assert_eq!(a.mode(), trawl::tui::keymap::Mode::JudgeSetup);
    assert!(screen(&a, 80, 24).contains("Judge settings for this session"));
    // Model field: replace the model.
    run(&mut a, &[Cmd::NextTab]);
    for _ in 0..40 {
        run(&mut a, &[Cmd::InputBackspace]);
    }
    typed(&mut a, "qwen2.5:7b");
    run(&mut a, &[Cmd::Confirm]);
    assert_eq!(a.mode(), trawl::tui::keymap::Mode::Judge);
    assert_eq!(a.judge_provider.model, "qwen2.5:7b");
    assert!(screen(&a, 80, 24).contains("qwen2.5:7b"));
}
