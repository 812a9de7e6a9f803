//! Property tests: the expression language and the validator never panic, whatever they are
//! given, and give the same answer for the same record however it travelled (the phone and the
//! server read it from JSON text independently).

use domain::expr::{CmpOp, Expr, Lit};
use domain::form::{FieldKind, FormDef};
use domain::validate::{prune, validate, Violation, Visibility};
use domain::Lang;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const KEYWORDS: [&str; 7] = ["and", "or", "not", "in", "true", "false", "null"];

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn lit() -> impl Strategy<Value = Lit> {
    prop_oneof![
        Just(Lit::Null),
        any::<bool>().prop_map(Lit::Bool),
        (-1_000_000i64..1_000_000, 0u32..3)
            .prop_map(|(n, d)| Lit::Num(n as f64 / 10f64.powi(d as i32))),
        "[^'\"]{0,8}".prop_map(Lit::Str),
        "[^']{0,8}".prop_map(Lit::Str),
    ]
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        lit().prop_map(Expr::Lit),
        ident().prop_map(Expr::Field),
        (ident(), "[^'\"]{0,6}").prop_map(|(k, v)| Expr::Selected(k, v)),
        ident().prop_map(Expr::Count),
        ident().prop_map(Expr::Filled),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            (inner.clone(), op(), inner.clone()).prop_map(|(a, o, b)| Expr::Cmp(
                Box::new(a),
                o,
                Box::new(b)
            )),
            (inner, prop::collection::vec(lit(), 1..4)).prop_map(|(a, l)| Expr::In(Box::new(a), l)),
        ]
    })
}

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 20, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Values shaped like a field's type — right, nearly right or plainly wrong — so that every
/// branch of the validator is reached, not only "not text".
fn value_for(kind: &FieldKind) -> BoxedStrategy<Value> {
    let any_value = json_value().boxed();
    let typed = match kind {
        FieldKind::Text { .. } | FieldKind::LongText { .. } => ".{0,40}".prop_map(Value::String).boxed(),
        FieldKind::Integer { .. } => (-100i64..3000).prop_map(Value::from).boxed(),
        FieldKind::Decimal { .. } => (-100.0f64..1e5).prop_map(|f| json!((f * 100.0).round() / 100.0)).boxed(),
        FieldKind::Date => "(19|20|21)[0-9]{2}-[01][0-9]-[0-3][0-9]".prop_map(Value::String).boxed(),
        FieldKind::Time => "[0-2][0-9]:[0-6][0-9]".prop_map(Value::String).boxed(),
        FieldKind::DateTime => "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]".prop_map(Value::String).boxed(),
        FieldKind::SingleChoice { choices } => {
            let values: Vec<Value> = choices.iter().map(|c| json!(c.value)).collect();
            prop::sample::select(values).boxed()
        }
        FieldKind::MultipleChoice { choices, .. } => {
            let values: Vec<String> = choices.iter().map(|c| c.value.clone()).collect();
            prop::sample::subsequence(values.clone(), 0..=values.len()).prop_map(|v| json!(v)).boxed()
        }
        FieldKind::YesNo => any::<bool>().prop_map(Value::Bool).boxed(),
        FieldKind::Phone => "(\\+84|0)[0-9 .]{8,12}".prop_map(Value::String).boxed(),
        FieldKind::CitizenId => "0[0-9]{11}".prop_map(Value::String).boxed(),
        FieldKind::Gps { .. } => (-100.0f64..100.0, -200.0f64..200.0, 0.0f64..500.0)
            .prop_map(|(lat, lon, acc)| json!({"lat": lat, "lon": lon, "accuracy_m": acc}))
            .boxed(),
        FieldKind::Photo { .. } => prop::collection::vec(
            ("[0-9a-f]{64}", prop::sample::select(vec!["image/jpeg", "image/webp", "image/png"]), 0u64..5_000_000, 0u32..2000, 1u32..1700)
                .prop_map(|(sha, ty, bytes, w, h)| json!({"sha256": sha, "type": ty, "bytes": bytes, "width": w, "height": h})),
            0..4,
        )
        .prop_map(Value::Array)
        .boxed(),
        FieldKind::Repeat { fields, .. } => {
            let row = record_for(fields.clone());
            prop::collection::vec(row.prop_map(Value::Object), 0..4).prop_map(Value::Array).boxed()
        }
    };
    prop_oneof![4 => typed, 1 => any_value].boxed()
}

fn record_for(fields: Vec<domain::form::FieldDef>) -> BoxedStrategy<Map<String, Value>> {
    let per_field: Vec<_> = fields
        .iter()
        .map(|f| {
            (
                Just(f.key.clone()),
                prop::option::weighted(0.8, value_for(&f.kind)),
            )
        })
        .collect();
    (
        per_field,
        prop::option::weighted(0.1, ("[a-z]{1,6}", json_value())),
    )
        .prop_map(|(pairs, extra)| {
            let mut m: Map<String, Value> = pairs
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            m
        })
        .boxed()
}

fn form_and_record() -> impl Strategy<Value = (FormDef, Map<String, Value>)> {
    prop::sample::select(FormDef::builtin()).prop_flat_map(|form| {
        let fields = form.fields.clone();
        (Just(form), record_for(fields))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsing_any_text_never_panics(src in ".{0,200}") {
        let _ = Expr::parse(&src);
    }

    #[test]
    fn parsing_near_conditions_never_panics(src in "[a-z_ ()'\"=!<>\\[\\],.0-9-]{0,80}") {
        if let Ok(e) = Expr::parse(&src) {
            // Whatever parses evaluates, on any data, without panicking.
            let data = json!({"a": 1, "b": "x", "c": [1, 2]});
            let _ = e.holds(&|k| data.get(k));
        }
    }

    #[test]
    fn a_printed_condition_parses_back_to_the_same_tree(e in expr()) {
        let text = e.to_string();
        if text.chars().count() <= domain::expr::MAX_LEN {
            match Expr::parse(&text) {
                Ok(back) => prop_assert_eq!(back, e),
                // Fully parenthesized printing nests deeper than the source; that limit is fine.
                Err(err) => prop_assert_eq!(err.kind, domain::expr::ParseErrorKind::TooDeep, "{}", text),
            }
        }
    }

    #[test]
    fn evaluation_is_total_and_the_same_after_a_json_round_trip(e in expr(), data in prop::collection::btree_map("[a-z_]{1,3}", json_value(), 0..6)) {
        let data: Map<String, Value> = data.into_iter().collect();
        let here = e.holds(&|k| data.get(k));
        let travelled: Map<String, Value> = serde_json::from_str(&serde_json::to_string(&data).unwrap()).unwrap();
        prop_assert_eq!(here, e.holds(&|k| travelled.get(k)));
    }

    #[test]
    fn phone_and_server_agree_on_every_record((form, data) in form_and_record()) {
        // The phone validates what it holds; the server validates what arrived as JSON text,
        // against a definition that also travelled as JSON text.
        let phone = validate(&form, &data, Lang::Vi);
        let wire = serde_json::to_string(&data).unwrap();
        let arrived: Map<String, Value> = serde_json::from_str(&wire).unwrap();
        let server_form = FormDef::parse(&serde_json::to_string(&form).unwrap()).unwrap();
        let server = validate(&server_form, &arrived, Lang::Vi);
        prop_assert_eq!(&phone, &server);
        // The language changes the words, never the verdict.
        let english = validate(&form, &data, Lang::En);
        let verdicts = |errs: &[domain::validate::FieldError]| errs.iter().map(|e| (e.field.clone(), e.violation.clone())).collect::<Vec<_>>();
        prop_assert_eq!(verdicts(&phone), verdicts(&english));
    }

    #[test]
    fn pruned_records_have_no_hidden_values_and_pruning_is_stable((form, data) in form_and_record()) {
        let pruned = prune(&form, &data);
        let errors = validate(&form, &pruned, Lang::En);
        prop_assert!(errors.iter().all(|e| e.violation != Violation::NotApplicable), "{:?}", errors);
        prop_assert_eq!(&prune(&form, &pruned), &pruned);
        // Pruning only removes; it never invents or changes a value at the top level.
        for (k, v) in &pruned {
            if !matches!(form.field(k).map(|f| &f.kind), Some(FieldKind::Repeat { .. })) {
                prop_assert_eq!(Some(v), data.get(k));
            }
        }
        let vis = Visibility::of(&form, &data);
        prop_assert_eq!(vis.top.len(), form.fields.len());
    }
}
