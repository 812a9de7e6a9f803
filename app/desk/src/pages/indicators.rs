//! The ward's "model ward" indicators for a month (`/desk/indicators?ward=&year=&month=`), for
//! its supervisors and officers and for provincial staff (who choose the ward). Every number
//! opens the review queue on the records behind it. The same view, laid out for A4 by the print
//! style sheet, is the monthly report (báo cáo tháng): the browser's "print to PDF" makes the
//! document.

use domain::calendar::{LocalTime, DAY_MS};
use domain::indicators::{CategorySeries, IndicatorWard, WardIndicators};
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use app::api;
use app::i18n::Msg;
use app::state::use_app;

use crate::chart::{Series, StackedBars, PALETTE};
use crate::text::{dt, DeskMsg};

/// `dd/mm/yyyy` of the day holding `ms` (ward time).
fn dmy(ms: i64) -> String {
    LocalTime::at(ms).date.dmy()
}

/// The review queue on `form` (and `extra` filters) for records received in [from, to).
fn queue_link(form: &str, extra: &str, from: i64, to: i64) -> String {
    format!(
        "/desk/records?form={form}{extra}&from={}&to={}",
        dmy(from),
        dmy(to - DAY_MS)
    )
}

/// "12 → 9 (−3)": a change as counts, never as a percentage of a small number.
fn change(before: u32, now: u32) -> (String, &'static str) {
    let d = i64::from(now) - i64::from(before);
    let class = match d {
        d if d < 0 => "down",
        0 => "same",
        _ => "up",
    };
    let sign = match d {
        d if d > 0 => format!("+{d}"),
        d if d < 0 => format!("−{}", -d),
        _ => "±0".into(),
    };
    (format!("{before} → {now} ({sign})"), class)
}

/// A duration in minutes as people say it: minutes, hours or days.
fn duration(minutes: Option<u32>, lang: Lang) -> String {
    let Some(m) = minutes else {
        return DeskMsg::NoneYet.text(lang).into();
    };
    match m {
        m if m < 120 => format!("{m} {}", DeskMsg::Minutes.text(lang)),
        m if m < 48 * 60 => format!("{:.1} {}", f64::from(m) / 60.0, DeskMsg::Hours.text(lang)),
        m => format!("{:.1} {}", f64::from(m) / 1440.0, DeskMsg::Days.text(lang)),
    }
    .replace('.', if lang == Lang::Vi { "," } else { "." })
}

#[component]
pub fn Indicators() -> impl IntoView {
    let state = use_app();
    let query = use_query_map();
    let today = LocalTime::at(js_sys::Date::now() as i64).date;
    let chosen = Memo::new(move |_| {
        let q = query.get();
        let ward = q.get("ward").and_then(|v| v.parse::<i64>().ok());
        let year = q
            .get("year")
            .and_then(|v| v.parse::<i32>().ok())
            .unwrap_or(today.year);
        let month = q
            .get("month")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(today.month);
        (ward, year, month)
    });
    let wards = LocalResource::new(move || {
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move { api::indicator_wards(&token, lang).await }
    });
    let data = LocalResource::new(move || {
        let (ward, year, month) = chosen.get();
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            // A provincial user names a ward: the first of their province until they choose.
            let ward = match ward {
                Some(w) => Some(w),
                None => api::indicator_wards(&token, lang)
                    .await?
                    .first()
                    .map(|w| w.id),
            };
            let mut q = format!("year={year}&month={month}");
            if let Some(w) = ward {
                q.push_str(&format!("&ward={w}"));
            }
            api::indicators(&token, &q, lang).await
        }
    });
    let navigate = use_navigate();
    let go = StoredValue::new(move |ward: Option<i64>, year: i32, month: u32| {
        let ward = ward.map(|w| format!("&ward={w}")).unwrap_or_default();
        navigate(
            &format!("/desk/indicators?year={year}&month={month}{ward}"),
            Default::default(),
        );
    });
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <div class="indicators" data-testid="indicators">
            <header class="indicators-head no-print">
                <h1>{dt(DeskMsg::Indicators)}</h1>
                <div class="indicators-pick">
                    <Transition fallback=|| ()>
                        {move || wards.get().and_then(Result::ok).filter(|w: &Vec<IndicatorWard>| w.len() > 1).map(|ws| view! {
                            <label>{dt(DeskMsg::WardOrCommune)}
                                <select on:change=move |ev| {
                                    let (_, y, m) = chosen.get_untracked();
                                    go.with_value(|go| go(event_target_value(&ev).parse().ok(), y, m));
                                }>
                                    {ws.into_iter().map(|w| {
                                        let id = w.id;
                                        view! { <option value=id.to_string() selected=move || chosen.get().0 == Some(id)>{w.name}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        })}
                    </Transition>
                    <label>{dt(DeskMsg::Month)}
                        <select on:change=move |ev| {
                            let (w, y, _) = chosen.get_untracked();
                            go.with_value(|go| go(w, y, event_target_value(&ev).parse().unwrap_or(1)));
                        }>
                            {(1..=12u32).map(|m| view! { <option value=m.to_string() selected=move || chosen.get().2 == m>{m}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{dt(DeskMsg::Year)}
                        <select on:change=move |ev| {
                            let (w, _, m) = chosen.get_untracked();
                            go.with_value(|go| go(w, event_target_value(&ev).parse().unwrap_or(today.year), m));
                        }>
                            {(2024..=today.year).rev().map(|y| view! { <option value=y.to_string() selected=move || chosen.get().1 == y>{y}</option> }).collect_view()}
                        </select>
                    </label>
                    <button class="btn" data-testid="print-report" on:click=print>{dt(DeskMsg::Print)}</button>
                </div>
            </header>
            <Show when=move || state.session.with(|s| s.as_ref().map(|s| s.me.role)) == Some(domain::api::Role::Provincial)>
                <Province chosen=Signal::derive(move || { let (_, y, m) = chosen.get(); (y, m) }) go=Callback::new(move |w: i64| {
                    let (_, y, m) = chosen.get_untracked();
                    go.with_value(|go| go(Some(w), y, m));
                })/>
            </Show>
            <Transition fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <p class="notice error">{e.message(state.lang.get_untracked())}</p> }.into_any(),
                    Ok(ind) => view! { <Report ind/> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

/// One ward's month: the monthly report's page.
#[component]
fn Report(ind: WardIndicators) -> impl IntoView {
    let state = use_app();
    let lang = state.lang.get_untracked();
    let (from, to, year_from) = (ind.month_from, ind.month_to, ind.year_from);
    let last_day = dmy(to - DAY_MS);
    let kind = match ind.ward_kind {
        domain::admin::WardKind::Ward => DeskMsg::KindWard,
        domain::admin::WardKind::Commune => DeskMsg::KindCommune,
    };
    let title = format!(
        "{} {} {} — {} {}/{}",
        DeskMsg::MonthlyReport.text(lang),
        kind.text(lang),
        ind.ward.name,
        DeskMsg::Month.text(lang).to_lowercase(),
        ind.month,
        ind.year
    );
    let months: Vec<String> = (1..=ind.month).map(|m| format!("T{m}")).collect();
    let series: Vec<Series> = ind
        .reports
        .iter()
        .enumerate()
        .map(|(i, s)| Series {
            label: s.label.get(lang).to_owned(),
            color: PALETTE[i % PALETTE.len()],
            values: s.months.clone(),
        })
        .collect();
    let caption = format!("{} {}", DeskMsg::ChartOf.text(lang), ind.year);
    let groups_categories: Vec<(usize, String)> = ind
        .reports
        .iter()
        .enumerate()
        .filter(|(_, s)| s.year_to_date > 0)
        .map(|(i, s)| (i, s.label.get(lang).to_owned()))
        .collect();
    let w = ind.waiting;
    view! {
        <article class="report" data-testid="report">
            <header class="report-head">
                <h2>{title}</h2>
                <p class="muted">
                    {format!("{} 01/{:02}/{} – {last_day}", DeskMsg::ReportFor.text(lang), ind.month, ind.year)}
                    {(ind.counted_at > 0).then(|| {
                        let at = LocalTime::at(ind.counted_at);
                        view! {
                            " · "
                            <span data-testid="counted-at">
                                {format!("{} {:02}:{:02} {}", DeskMsg::CountedAt.text(lang), at.hour, at.minute, at.date.dmy())}
                            </span>
                        }
                    })}
                </p>
            </header>

            <section class="zero" data-testid="zero">
                <h3>{dt(DeskMsg::ZeroIndicators)}</h3>
                <ul class="tiles">
                    {ind.zero.iter().map(|z| {
                        let ok = z.month_clear;
                        view! {
                            <li class="tile" class:good=ok class:bad=!ok data-kind=format!("{:?}", z.kind)>
                                <strong>{z.label.get(lang).to_owned()}</strong>
                                <span class="verdict">
                                    {if ok { DeskMsg::Achieved.text(lang) } else { DeskMsg::NotAchieved.text(lang) }}
                                    " " {DeskMsg::InMonth.text(lang)}
                                </span>
                                <span class="muted">
                                    {if z.year_clear { DeskMsg::Achieved.text(lang) } else { DeskMsg::NotAchieved.text(lang) }}
                                    " " {DeskMsg::InYear.text(lang)}
                                </span>
                                {(!z.records.is_empty()).then(|| view! {
                                    <details class="behind">
                                        <summary>{format!("{} ({})", DeskMsg::RecordsBehind.text(lang), z.records.len())}</summary>
                                        <ul>
                                            {z.records.iter().map(|id| view! {
                                                <li><a href=format!("/desk/records/{id}")>{id.to_string()[..8].to_owned()}</a></li>
                                            }).collect_view()}
                                        </ul>
                                    </details>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>

            <section class="waiting no-print-break">
                <h3>{dt(DeskMsg::WaitingNow)}</h3>
                <ul class="tiles numbers">
                    <li class="tile"><a href="/desk/records?status=received"><b>{w.received}</b> {dt(DeskMsg::WaitingReceived)}</a></li>
                    <li class="tile"><a href="/desk/records?status=in_progress"><b>{w.in_progress}</b> {dt(DeskMsg::WaitingInProgress)}</a></li>
                    <li class="tile"><a href="/desk/records?status=returned"><b>{w.returned}</b> {dt(DeskMsg::WaitingReturned)}</a></li>
                    <li class="tile"><a href="/desk/records?conflict=open"><b>{w.conflicts}</b> {dt(DeskMsg::WaitingConflicts)}</a></li>
                </ul>
            </section>

            <section class="reports">
                <h3>{dt(DeskMsg::ReportsByCategory)}</h3>
                <div class="chart-and-table">
                    <StackedBars caption labels=months series/>
                    <CategoryTable form="neighborhood_report" rows=ind.reports.clone() from=year_from to last_from=ind.last_year_from last_to=ind.last_year_to/>
                </div>
            </section>

            <div class="report-row">
            <section class="issues">
                <h3>{dt(DeskMsg::VisitIssues)}</h3>
                <CategoryTable form="field_visit" rows=ind.visit_issues.clone() from=year_from to last_from=ind.last_year_from last_to=ind.last_year_to/>
            </section>



            <section class="managed">
                <h3>{dt(DeskMsg::ManagedPeople)}</h3>
                <p class="big" data-testid="managed">
                    <a href=queue_link("managed_person_visit", "", from, to)>
                        <b>{ind.managed.visited}</b>" / "{ind.managed.persons}
                    </a>
                    " " <span class="muted">{dt(DeskMsg::OfManaged)}</span>
                </p>
                <progress max=ind.managed.persons.max(1) value=ind.managed.visited></progress>
            </section>

            <section class="speed">
                <h3>{dt(DeskMsg::ReportSpeed)}</h3>
                <table class="table numbers" data-testid="speed">
                    <thead><tr><th></th><th>{dt(DeskMsg::Median)}</th><th>{dt(DeskMsg::Slowest)}</th></tr></thead>
                    <tbody>
                        <tr><th scope="row">{dt(DeskMsg::Reached)}</th><td>{duration(ind.speed.received_median, lang)}</td><td>{duration(ind.speed.received_slowest, lang)}</td></tr>
                        <tr><th scope="row">{dt(DeskMsg::TakenUp)}</th><td>{duration(ind.speed.handled_median, lang)}</td><td>{duration(ind.speed.handled_slowest, lang)}</td></tr>
                        <tr><th scope="row">{dt(DeskMsg::ResolvedIn)}</th><td>{duration(ind.speed.resolved_median, lang)}</td><td>{duration(ind.speed.resolved_slowest, lang)}</td></tr>
                    </tbody>
                </table>
                <p class="muted">
                    <a href=queue_link("neighborhood_report", "", from, to)>{format!("{}: {}", DeskMsg::ReportsCount.text(lang), ind.speed.reports)}</a>
                </p>
            </section>
            </div>

            <section class="groups no-print">
                <h3>{dt(DeskMsg::ByGroup)}</h3>
                <div class="scroll">
                    <table class="table numbers" data-testid="by-group">
                        <thead><tr>
                            <th>{state.t(Msg::ResidentialGroup)}</th>
                            {groups_categories.iter().map(|(_, l)| view! { <th>{l.clone()}</th> }).collect_view()}
                            <th>{dt(DeskMsg::Total)}</th>
                        </tr></thead>
                        <tbody>
                            {ind.groups.iter().map(|g| {
                                let gid = g.group.id;
                                view! {
                                    <tr>
                                        <th scope="row">{g.group.name.clone()}</th>
                                        {groups_categories.iter().map(|(i, _)| {
                                            let n = g.counts.get(*i).copied().unwrap_or(0);
                                            let category = ind.reports[*i].category.clone();
                                            view! { <td><a href=queue_link("neighborhood_report", &format!("&group={gid}&category={category}"), year_from, to)>{n}</a></td> }
                                        }).collect_view()}
                                        <td><a href=queue_link("neighborhood_report", &format!("&group={gid}"), year_from, to)>{g.total}</a></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>

            <section class="officers no-print">
                <h3>{dt(DeskMsg::OfficersPerWeek)}</h3>
                <div class="scroll">
                    <table class="table numbers" data-testid="officers">
                        <thead><tr>
                            <th>{dt(DeskMsg::Officer)}</th>
                            {ind.weeks.iter().map(|w| view! { <th>{format!("{} {}", DeskMsg::WeekOf.text(lang), &dmy(*w)[..5])}</th> }).collect_view()}
                            <th>{dt(DeskMsg::Total)}</th>
                        </tr></thead>
                        <tbody>
                            {ind.officers.iter().map(|o| {
                                let id = o.officer.id;
                                view! {
                                    <tr>
                                        <th scope="row">{o.officer.name.clone()}</th>
                                        {o.weeks.iter().map(|n| view! { <td>{*n}</td> }).collect_view()}
                                        <td><a href=format!("/desk/records?author={id}&from={}&to={}", dmy(from), dmy(to - DAY_MS))>{o.total}</a></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
            <footer class="report-foot print-only">
                {format!("{} {}", DeskMsg::PrintedOn.text(lang), dmy(js_sys::Date::now() as i64))}
            </footer>
        </article>
    }
}

/// Categories with their months, year to date and the same period last year, each count a link
/// to its records.
#[component]
fn CategoryTable(
    form: &'static str,
    rows: Vec<CategorySeries>,
    from: i64,
    to: i64,
    last_from: i64,
    last_to: i64,
) -> impl IntoView {
    let state = use_app();
    let lang = state.lang.get_untracked();
    view! {
        <div class="scroll">
            <table class="table numbers" data-testid=format!("categories-{form}")>
                <thead><tr>
                    <th>{dt(DeskMsg::Category)}</th>
                    <th>{dt(DeskMsg::YearToDate)}</th>
                    <th>{dt(DeskMsg::SamePeriodLastYear)}</th>
                    <th>{dt(DeskMsg::Change)}</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().filter(|s| s.year_to_date + s.last_year_to_date > 0).map(|s| {
                        let (text, class) = change(s.last_year_to_date, s.year_to_date);
                        view! {
                            <tr data-category=s.category.clone()>
                                <th scope="row">{s.label.get(lang).to_owned()}</th>
                                <td><a href=queue_link(form, &format!("&category={}", s.category), from, to)>{s.year_to_date}</a></td>
                                <td><a href=queue_link(form, &format!("&category={}", s.category), last_from, last_to)>{s.last_year_to_date}</a></td>
                                <td class=format!("change {class}")>{text}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A provincial user's wards and communes side by side for the month: reports this year
/// against last, the "none" indicators, people under management visited, what waits. A ward's
/// name opens its own indicators below.
#[component]
fn Province(chosen: Signal<(i32, u32)>, go: Callback<i64>) -> impl IntoView {
    let state = use_app();
    let data = LocalResource::new(move || {
        let (year, month) = chosen.get();
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            api::province_indicators(&token, &format!("year={year}&month={month}"), lang).await
        }
    });
    view! {
        <section class="province no-print" data-testid="province">
            <h2>{dt(DeskMsg::Compare)}</h2>
            <Transition fallback=|| ()>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <p class="notice error">{e.message(state.lang.get_untracked())}</p> }.into_any(),
                    Ok(p) => {
                        let lang = state.lang.get_untracked();
                        let most = p.wards.iter().map(|w| w.reports.max(w.reports_last_year)).max().unwrap_or(0).max(1);
                        view! {
                            <div class="scroll">
                                <table class="table numbers compare">
                                    <thead><tr>
                                        <th>{dt(DeskMsg::WardOrCommune)}</th>
                                        <th>{dt(DeskMsg::ReportsByCategory)}</th>
                                        <th>{dt(DeskMsg::Change)}</th>
                                        <th>{dt(DeskMsg::ZeroShort)}</th>
                                        <th>{dt(DeskMsg::ManagedShort)}</th>
                                        <th>{dt(DeskMsg::WaitingReceived)}</th>
                                        <th>{dt(DeskMsg::WaitingInProgress)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {p.wards.into_iter().map(|w| {
                                            let id = w.ward.id;
                                            let (text, class) = change(w.reports_last_year, w.reports);
                                            let clear = w.zero.iter().filter(|z| z.1).count();
                                            let width = |n: u32| format!("{:.1}", 120.0 * f64::from(n) / f64::from(most));
                                            let kind = if w.ward.commune { DeskMsg::KindCommune } else { DeskMsg::KindWard };
                                            view! {
                                                <tr data-ward=id.to_string()>
                                                    <th scope="row">
                                                        <button class="link" on:click=move |_| go.run(id)>{format!("{} {}", kind.text(lang), w.ward.name)}</button>
                                                        {w.ward.closed_from.map(|_| view! { " " <span class="badge">{dt(DeskMsg::ClosedWard)}</span> })}
                                                    </th>
                                                    <td>
                                                        <svg class="pair" viewBox="0 0 124 14" role="img" aria-label=format!("{} / {}", w.reports, w.reports_last_year)>
                                                            <rect x="0" y="1" height="6" width=width(w.reports) fill="#0072B2"/>
                                                            <rect x="0" y="8" height="5" width=width(w.reports_last_year) fill="#9aa5b1"/>
                                                        </svg>
                                                        {w.reports}
                                                    </td>
                                                    <td class=format!("change {class}")>{text}</td>
                                                    <td class:bad=clear < w.zero.len()>{format!("{clear}/{}", w.zero.len())}</td>
                                                    <td>{format!("{}/{}", w.managed.visited, w.managed.persons)}</td>
                                                    <td>{w.waiting.received}</td>
                                                    <td>{w.waiting.in_progress}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
