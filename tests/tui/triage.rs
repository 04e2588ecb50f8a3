//! The judge popup, the triage queue, the metrics pane and the agreement pane, driven
//! headlessly on the support-bot store with verdicts added.

use crossterm::event::KeyCode;
use testkit::TestServer;
use trawl::model::{Score, ScoreSource, Verdict};
use trawl::store::{SortKey, Store};
use trawl::tui::keymap::Mode;
use trawl::tui::{App, Cmd, View};

use crate::drive::{app, cmd, filter, key, now, store, type_text};
use crate::util::FixtureStore;

fn ids(s: &Store, n: usize) -> Vec<String> {
    s.list_traces(&Default::default(), SortKey::Start, true, n, 0)
        .unwrap()
        .into_iter()
        .map(|r| r.trace_id)
        .collect()
}

fn score(s: &Store, source: ScoreSource, id: &str, rule: &str, v: Verdict) {
    s.insert_score(&Score {
        verdict: Some(v),
        explanation: Some(format!("{rule} explanation for {}", &id[..6])),
        model: Some("gpt-4o-mini".into()),
        author: (source == ScoreSource::Human).then(|| "alice".to_string()),
        ..Score::new(source, id, rule)
    })
    .unwrap();
}

fn pick_rule(app: &mut App, rule: &str) {
    let Some(trawl::tui::panes::judge::JudgeStage::Pick { rules, .. }) =
        app.judge_popup().map(|p| p.stage.clone())
    else {
        panic!("not picking rules: {:?}", app.judge_popup());
    };
    let i = rules.iter().position(|r| r.id == rule).unwrap();
    cmd(app, Cmd::Pick(u8::try_from(i + 1).unwrap()));
}

#[test]
fn judge_from_the_list_runs_shows_badges_and_reruns() {
    let server = TestServer::instant().unwrap();
    let (_d, mut app) = app();
    app.judge_provider.base_url = server.base_url();
    // Esc closes the picker without a run.
    key(&mut app, KeyCode::Char('J'));
    assert_eq!(app.mode(), Mode::Judge);
    key(&mut app, KeyCode::Esc);
    assert!(app.judge_popup().is_none());
    assert_eq!(app.mode(), Mode::List);

    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.list.marks.len(), 2);
    key(&mut app, KeyCode::Char('J'));
    // Enter with nothing picked says so and stays in the picker.
    key(&mut app, KeyCode::Enter);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("pick at least one")
    );
    pick_rule(&mut app, "grounded");
    key(&mut app, KeyCode::Enter);
    let Some(trawl::tui::panes::judge::JudgeStage::Confirm { estimate, job }) =
        app.judge_popup().map(|p| p.stage.clone())
    else {
        panic!("no estimate: {:?} {:?}", app.judge_popup(), app.status);
    };
    assert_eq!(estimate.calls, 2);
    assert_eq!(job.0.trace_ids.len(), 2);
    assert_eq!(server.request_count(), 0, "the estimate sends nothing");
    key(&mut app, KeyCode::Char('y'));
    assert!(app.judge_popup().is_none());
    assert!(app.judge_run.is_none(), "finished");
    assert_eq!(server.request_count(), 2);
    let st = app.status.clone().unwrap();
    assert!(!st.error && st.text.contains("judged 2"), "{st:?}");
    for id in &app.list.marks {
        assert_eq!(
            app.list.badges[id],
            vec![("grounded".to_string(), Verdict::True)]
        );
    }
    // Trace detail shows the verdict with explanation and model; R re-runs it (forced).
    let first = app.list.marks.iter().next().unwrap().clone();
    cmd(&mut app, Cmd::CommandLine);
    type_text(&mut app, &format!("open {first}"));
    cmd(&mut app, Cmd::InputSubmit);
    key(&mut app, KeyCode::Char('v'));
    assert_eq!(app.view(), View::Span);
    let text: Vec<String> = app
        .span()
        .unwrap()
        .detail
        .iter()
        .map(|l| l.text.clone())
        .collect();
    let text = text.join("\n");
    assert!(
        text.contains("grounded TRUE · judge · judge-model"),
        "{text}"
    );
    assert!(text.contains("Every claim is supported"), "{text}");
    key(&mut app, KeyCode::Char('R'));
    let Some(trawl::tui::panes::judge::JudgeStage::Confirm { estimate, job }) =
        app.judge_popup().map(|p| p.stage.clone())
    else {
        panic!("no rerun estimate: {:?}", app.status);
    };
    assert!(job.0.force);
    assert_eq!((estimate.calls, estimate.cached), (1, 0));
    key(&mut app, KeyCode::Enter);
    assert_eq!(server.request_count(), 3);
    assert_eq!(
        app.trace()
            .unwrap()
            .scores
            .iter()
            .filter(|s| s.name == "grounded")
            .count(),
        2,
        "the re-run's verdict is shown"
    );
}

#[test]
fn judge_failure_and_cancel_show_in_the_status_line() {
    let (_d, mut app) = app();
    // Nothing listens here: every call fails; the run reports errors, never panics.
    app.judge_provider.base_url = "http://127.0.0.1:9/v1".into();
    app.judge_provider.timeout = std::time::Duration::from_millis(200);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('J'));
    pick_rule(&mut app, "answered");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert!(app.judge_run.is_none());
    assert!(app.status.is_some());
    key(&mut app, KeyCode::Char('X'));
    assert!(app.status.as_ref().unwrap().text.contains("no judge run"));
}

fn flagged_store() -> (FixtureStore, Store, Vec<String>) {
    let (d, s) = store();
    let ids = ids(&s, 6);
    score(&s, ScoreSource::Judge, &ids[0], "grounded", Verdict::False);
    score(&s, ScoreSource::Judge, &ids[0], "answered", Verdict::True);
    score(&s, ScoreSource::Judge, &ids[1], "grounded", Verdict::Error);
    score(&s, ScoreSource::Judge, &ids[2], "answered", Verdict::False);
    score(&s, ScoreSource::Judge, &ids[2], "grounded", Verdict::False);
    score(&s, ScoreSource::Judge, &ids[3], "grounded", Verdict::True);
    (d, s, ids)
}

#[test]
fn triage_labels_undo_and_progress_survive_restarts() {
    let (d, s, ids) = flagged_store();
    let mut app = App::new_for_test(s, now());
    app.author = "tester".into();
    key(&mut app, KeyCode::Char('T'));
    assert_eq!(app.view(), View::Triage);
    let t = app.triage().unwrap();
    assert_eq!(t.items.len(), 3, "FALSE or error for any rule");
    assert_eq!(t.items[0].trace_id, ids[0]);
    assert_eq!(t.items[2].flagged, vec!["answered", "grounded"]);
    let c = t.content.as_ref().unwrap();
    assert!(c.question.is_some() && c.answer.is_some());
    assert!(!c.evidence.passages.is_empty(), "triage shows the passages");
    // Focus starts on the flagged rule (grounded, rule 2 of answered/grounded).
    assert_eq!(t.focused_rule().unwrap().rule, "grounded");

    key(&mut app, KeyCode::Char('e'));
    type_text(&mut app, "policy doc missing");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('f'));
    let t = app.triage().unwrap();
    assert_eq!(t.done_count(), 1);
    assert_eq!(t.made.len(), 1);
    assert!(app.status.as_ref().unwrap().text.contains("1/3 done"));
    let human = t.rules.iter().find(|r| r.rule == "grounded").unwrap();
    let h = human.human.as_ref().unwrap();
    assert_eq!(h.verdict, Some(Verdict::False));
    assert_eq!(h.author.as_deref(), Some("tester"));
    assert_eq!(h.note.as_deref(), Some("policy doc missing"));

    // Next item: label it, then undo.
    key(&mut app, KeyCode::Right);
    assert_eq!(app.triage().unwrap().index, 1);
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.triage().unwrap().done_count(), 2);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.triage().unwrap().done_count(), 1);
    assert!(app.status.as_ref().unwrap().text.contains("undone"));
    // Third item has two flagged rules: number keys pick each one.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.triage().unwrap().done_count(), 1, "one rule to go");
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.triage().unwrap().done_count(), 2);
    key(&mut app, KeyCode::Left);
    assert_eq!(app.triage().unwrap().index, 1);

    // Labels are human scores in the store: a new app sees the same progress.
    let s2 = Store::open(&d.path).unwrap();
    let human = s2.all_latest_scores(ScoreSource::Human, None).unwrap();
    assert_eq!(human.len(), 3);
    assert!(human.iter().all(|h| h.author.as_deref() == Some("tester")));
    let mut again = App::new_for_test(s2, now());
    key(&mut again, KeyCode::Char('T'));
    assert_eq!(again.triage().unwrap().done_count(), 2);
    // The filter restricts the queue.
    let (_d3, s3, ids3) = flagged_store();
    let mut f = App::new_for_test(s3, now());
    let user = f
        .list
        .rows
        .iter()
        .find(|r| r.trace_id == ids3[2])
        .and_then(|r| r.user_id.clone())
        .unwrap();
    filter(&mut f, &format!("user:{user}"));
    cmd(&mut f, Cmd::Triage);
    let items = &f.triage().unwrap().items;
    assert!(items.iter().any(|i| i.trace_id == ids3[2]));
    assert!(items.len() < 3);
}

#[test]
fn metrics_enter_opens_the_bucket_in_the_list() {
    let (_d, s, _) = flagged_store();
    let mut app = App::new_for_test(s, now());
    key(&mut app, KeyCode::Char('M'));
    assert_eq!(app.view(), View::Metrics);
    let m = app.metrics().unwrap();
    assert!(!m.loading);
    let series = m.series();
    assert!(series.len() > 1, "several days");
    let total: i64 = series.iter().map(|b| b.traces).sum();
    assert_eq!(total, 40);
    assert!(
        m.metrics
            .iter()
            .any(|k| *k == trawl::tui::panes::metrics::MetricKind::FalseRate("grounded".into()))
    );
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.metrics().unwrap().metric, 1);
    key(&mut app, KeyCode::Left);
    let m = app.metrics().unwrap();
    let b = m.series()[m.selected()].clone();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::List);
    assert_eq!(app.list.filter.since_ns, Some(b.start_ns));
    assert_eq!(app.list.filter.until_ns, Some(b.end_ns));
    assert_eq!(app.list.total as i64, b.traces);

    // Grouped by model: Enter adds the group to the filter.
    cmd(&mut app, Cmd::ClearFilter);
    key(&mut app, KeyCode::Char('M'));
    key(&mut app, KeyCode::Char('g'));
    let m = app.metrics().unwrap();
    assert_eq!(m.group_by, Some(trawl::metrics::GroupBy::Model));
    let g = m.groups[m.group].clone().unwrap();
    let b = m.series()[m.selected()].clone();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.list.filter.model.as_deref(), Some(g.as_str()));
    assert!(app.list.total as i64 <= b.traces && app.list.total > 0);
    // Bucket size cycles day → week → hour.
    key(&mut app, KeyCode::Char('M'));
    key(&mut app, KeyCode::Char('b'));
    assert_eq!(app.metrics().unwrap().bucket, trawl::metrics::Bucket::Week);
}

#[test]
fn agreement_pane_counts_pairs_and_jumps_to_disagreements() {
    let (_d, s, ids) = flagged_store();
    score(&s, ScoreSource::Human, &ids[0], "grounded", Verdict::False);
    score(&s, ScoreSource::Human, &ids[2], "grounded", Verdict::True);
    score(&s, ScoreSource::Human, &ids[3], "grounded", Verdict::True);
    score(&s, ScoreSource::Human, &ids[1], "grounded", Verdict::True);
    let mut app = App::new_for_test(s, now());
    key(&mut app, KeyCode::Char('A'));
    assert_eq!(app.view(), View::Agreement);
    let a = app.agreement().unwrap();
    let g = a.rules.iter().find(|r| r.rule == "grounded").unwrap();
    assert_eq!(g.pairs, 3, "the error verdict is counted apart");
    let c = &g.confusion;
    assert_eq!(
        (
            c.judge_true_human_true,
            c.judge_true_human_false,
            c.judge_false_human_true,
            c.judge_false_human_false
        ),
        (1, 0, 1, 1)
    );
    assert_eq!(g.na_or_error, 1);
    assert_eq!(a.rows.len(), 1);
    assert_eq!(a.rows[0].1.trace_id, ids[2]);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Trace);
    assert_eq!(app.trace().unwrap().trace_id, ids[2]);
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.view(), View::Agreement);
}
