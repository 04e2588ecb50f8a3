//! Snapshots of every view at 80x24 and 160x48, mono theme, fixed clock, driven by actions.

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

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

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
