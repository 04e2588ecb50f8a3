use super::*;

#[test]
fn parses_the_documented_forms() {
    let e = parse_expr("p95(latency) <= 2s").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.metric, Metric::Percentile(95, Series::Latency));
    assert_eq!((e.op, e.threshold, e.change), (Op::Le, 2000.0, false));
    let e = parse_expr("fail_rate(grounded) <= 3%").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.metric, Metric::FailRate("grounded".into()));
    assert!((e.threshold - 0.03).abs() < 1e-12);
    let e = parse_expr("p95(latency) change <= 20%").unwrap_or_else(|e| panic!("{e}"));
    assert!(e.change);
    assert!((e.threshold - 0.2).abs() < 1e-12);
    let e = parse_expr("cost <= $10").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.threshold, 10.0);
    let e = parse_expr("p99(llm_latency)<=1.5m").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.threshold, 90_000.0);
}

#[test]
fn errors_point_at_the_column() {
    let e = parse_expr("p95(latency) <== 2s")
        .err()
        .unwrap_or_else(|| panic!("parsed"));
    assert_eq!(e.column, 15);
    assert_eq!(
        e.to_string(),
        "p95(latency) <== 2s\n               ^ expected a number"
    );
    assert_eq!(
        parse_expr("p95(latency) <= 2").err().map(|e| e.column),
        Some(17)
    );
    assert_eq!(
        parse_expr("p95(latncy) <= 2s").err().map(|e| e.column),
        Some(4)
    );
    assert_eq!(
        parse_expr("error_rate < 5").err().map(|e| e.column),
        Some(13)
    );
    assert_eq!(parse_expr("bogus < 5").err().map(|e| e.column), Some(0));
    assert_eq!(
        parse_expr("traces >= 10 x").err().map(|e| e.column),
        Some(13)
    );
    assert_eq!(parse_expr("traces = 10").err().map(|e| e.column), Some(7));
}

#[test]
fn operators() {
    assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
    assert!(Op::Le.holds(2.0, 2.0) && !Op::Le.holds(2.1, 2.0));
    assert!(Op::Gt.holds(3.0, 2.0) && !Op::Gt.holds(2.0, 2.0));
    assert!(Op::Ge.holds(2.0, 2.0) && !Op::Ge.holds(1.9, 2.0));
    assert!(Op::Eq.holds(0.1 + 0.2, 0.3) && !Op::Eq.holds(0.3, 0.31));
    assert!(Op::Ne.holds(1.0, 2.0) && !Op::Ne.holds(2.0, 2.0));
}
