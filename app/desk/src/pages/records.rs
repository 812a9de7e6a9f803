//! The ward's synced records, read from the server, for supervisors and officers: the list, and
//! the record opened beside it (its address is `/desk/records/<id>`, so it can be shared).

use domain::api::RecordSummary;
use domain::form::FieldKind;
use domain::form::FormDef;
use domain::record::RecordStatus;
use domain::review::{
    BulkReviewOutcome, BulkReviewRequest, Keep, ReviewAction, ReviewRequest, MAX_BULK_REVIEW,
};
use domain::value::PhotoRef;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_query_map};
use leptos_router::params::ParamsMap;
use serde_json::Map;
use serde_json::Value;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use app::api;
use app::i18n::{format_ms, show_field_value, show_value, Msg};
use app::state::use_app;

use crate::changed::Changed;
use crate::text::{dt, next_day, parse_date, DeskMsg};

/// The review queue's filter, as the address holds it (`?status=returned&q=nhat+tan&from=01/12/2026`),
/// so a supervisor can bookmark or share it.
#[derive(Debug, Clone, Default, PartialEq)]
struct QueueFilter {
    status: Option<RecordStatus>,
    q: String,
    from: String,
    to: String,
    urgency: String,
    /// A residential group's id.
    group: String,
    /// A form's key.
    form: String,
    /// The author's user id.
    author: String,
    /// Only records with a conflicting copy waiting for a reviewer.
    conflicts: bool,
    /// An indicator category (a report's category, an issue a visit found), from a count on
    /// the indicators page; shown, and kept until cleared.
    category: String,
}

fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s)
        .as_string()
        .unwrap_or_default()
}

impl QueueFilter {
    fn read(query: &ParamsMap) -> Self {
        let text = |k: &str| query.get(k).unwrap_or_default();
        QueueFilter {
            status: query.get("status").and_then(|s| RecordStatus::parse(&s)),
            q: text("q"),
            from: text("from"),
            to: text("to"),
            urgency: text("urgency"),
            group: text("group"),
            form: text("form"),
            author: text("author"),
            conflicts: query.get("conflict").as_deref() == Some("open"),
            category: text("category"),
        }
    }

    /// `key=value` pairs, encoded, of every part that is set; dates as typed, or (`dates`)
    /// turned into what the server reads.
    fn pairs(
        &self,
        dates: impl Fn(&str, &str) -> Result<String, DeskMsg>,
    ) -> Result<Vec<String>, DeskMsg> {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.as_str()));
        }
        for (k, v) in [
            ("q", &self.q),
            ("urgency", &self.urgency),
            ("group", &self.group),
            ("form", &self.form),
            ("author", &self.author),
            ("category", &self.category),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", encode(v.trim())));
            }
        }
        for (k, v) in [("from", &self.from), ("to", &self.to)] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", dates(k, v.trim())?));
            }
        }
        if self.conflicts {
            parts.push("conflict=open".into());
        }
        Ok(parts)
    }

    /// The address's query string, `?…` or nothing (dates as the user wrote them).
    fn address(&self) -> String {
        match self.pairs(|_, v| Ok(encode(v))) {
            Ok(parts) if !parts.is_empty() => format!("?{}", parts.join("&")),
            _ => String::new(),
        }
    }

    /// The server's query string (dates as ms, "to" through the end of its day); a date that
    /// cannot be read is an error.
    fn api_query(&self) -> Result<String, DeskMsg> {
        let parts = self.pairs(|k, v| {
            let day = parse_date(v).ok_or(DeskMsg::BadDate)?;
            Ok(if k == "to" { next_day(day) } else { day }.to_string())
        })?;
        Ok(parts.join("&"))
    }

    fn with_status(&self, status: Option<RecordStatus>) -> Self {
        QueueFilter {
            status,
            ..self.clone()
        }
    }
}

/// Records per page of the queue.
const PAGE: usize = 50;

/// The queue (state tabs with counts, search, dates, paging, many approved at once), with the
/// opened record (the nested route) in a panel beside it. Keys: j / k, a, r.
#[component]
pub fn Records() -> impl IntoView {
    let state = use_app();
    // The opened record's id is the child route's; the parent reads it from the address.
    let location = use_location();
    let opened = move || {
        location
            .pathname
            .get()
            .strip_prefix("/desk/records/")
            .map(str::to_owned)
    };
    let query = use_query_map();
    let filter = Memo::new(move |_| QueueFilter::read(&query.read()));
    // Supervisors and provincial staff export what the filter selects.
    let can_export = state.session.with_untracked(|s| {
        s.as_ref().is_some_and(|s| {
            matches!(
                s.me.role,
                domain::api::Role::Supervisor | domain::api::Role::Provincial
            )
        })
    });
    let navigate = use_navigate();
    let go = StoredValue::new(move |path: String| navigate(&path, Default::default()));
    let changed = expect_context::<Changed>().0;
    let first = LocalResource::new(move || {
        changed.track();
        let (token, lang, f) = (state.token(), state.lang.get(), filter.get());
        async move {
            let q = f
                .api_query()
                .map_err(|m| QueueError(m.text(lang).to_owned()))?;
            let failed = |e: api::ApiError| {
                QueueError(format!(
                    "{} {}",
                    Msg::LoadFailed.text(lang),
                    e.message(lang)
                ))
            };
            let counts = api::record_counts(&token, &q, lang).await.map_err(failed)?;
            let rows = api::ward_records(&token, &format!("{q}&limit={PAGE}"), lang)
                .await
                .map_err(failed)?;
            Ok::<_, QueueError>((rows, counts))
        }
    });
    // Pages after the first, fetched by "show more"; a new filter starts again.
    let more = RwSignal::new(Vec::<RecordSummary>::new());
    let exhausted = RwSignal::new(false);
    // Which list the extra pages belong to: a page that arrives after the filter (or the data)
    // moved on is dropped, never appended to another list.
    let generation = RwSignal::new(0u32);
    let loading = RwSignal::new(false);
    let selected = RwSignal::new(std::collections::BTreeSet::<Uuid>::new());
    Effect::new(move |_| {
        filter.track();
        changed.track();
        more.set(Vec::new());
        exhausted.set(false);
        generation.update(|g| *g += 1);
        // What is selected is what is shown: another filter starts with nothing selected.
        selected.set(Default::default());
    });
    let rows = move || {
        let mut all = match first.get() {
            Some(Ok((rows, _))) => rows,
            _ => Vec::new(),
        };
        all.extend(more.get());
        all
    };
    let load_more = move |_| {
        let Some(last) = rows().last().cloned() else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        let (token, lang, f) = (
            state.token(),
            state.lang.get_untracked(),
            filter.get_untracked(),
        );
        let asked_for = generation.get_untracked();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let Ok(q) = f.api_query() else { return };
            let q = format!(
                "{q}&limit={PAGE}&before={}&before_id={}",
                last.received_at, last.id
            );
            let page = api::ward_records(&token, &q, lang).await;
            let _ = loading.try_set(false);
            let current = generation.try_get_untracked() == Some(asked_for);
            if let (Ok(page), true) = (page, current) {
                let _ = exhausted.try_set(page.len() < PAGE);
                let _ = more.try_update(|m| m.extend(page));
            }
        });
    };
    let can_load_more = move || !exhausted.get() && rows().len() >= PAGE;
    let notice = RwSignal::new(None::<String>);
    let approve_selected = move |_| {
        let ids: Vec<Uuid> = selected.get_untracked().into_iter().collect();
        // Each record as the reviewer saw it in the list: one changed since is not approved.
        let shown: std::collections::HashMap<Uuid, Uuid> = untrack(rows)
            .into_iter()
            .map(|r| (r.id, r.revision))
            .collect();
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            // The server takes a bounded number at a time; each part is reported.
            let (mut done, mut refused) = (0usize, Vec::<String>::new());
            let mut failed = None;
            for part in ids.chunks(MAX_BULK_REVIEW) {
                let revisions: Option<Vec<Uuid>> =
                    part.iter().map(|id| shown.get(id).copied()).collect();
                let request = BulkReviewRequest {
                    ids: part.to_vec(),
                    action: ReviewAction::Approve,
                    comment: None,
                    revisions: revisions.unwrap_or_default(),
                };
                match api::review_many(&token, &request, lang).await {
                    Ok(results) => {
                        for r in results {
                            match r.outcome {
                                BulkReviewOutcome::Done { .. }
                                | BulkReviewOutcome::Already { .. } => done += 1,
                                BulkReviewOutcome::Refused { message }
                                | BulkReviewOutcome::Failed { message } => refused.push(message),
                                BulkReviewOutcome::NotFound => {
                                    refused.push(Msg::NotFound.text(lang).to_owned())
                                }
                            }
                        }
                    }
                    Err(e) => {
                        failed = Some(e.message(lang));
                        break;
                    }
                }
            }
            let mut text = format!("{}: {done}", DeskMsg::Approved.text(lang));
            if !refused.is_empty() {
                let count = refused.len();
                refused.sort();
                refused.dedup();
                text.push_str(&format!(
                    " · {}: {count} ({})",
                    DeskMsg::NotApproved.text(lang),
                    refused.join("; ")
                ));
            }
            if let Some(e) = failed {
                text.push_str(&format!(" · {e}"));
            }
            let _ = notice.try_set(Some(text));
            let _ = selected.try_set(Default::default());
            let _ = changed.try_update(|n| *n += 1);
        });
    };
    // j / k: the next or previous record of the list; a: approve the open one.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.repeat() {
            return;
        }
        let typing = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        let ids: Vec<String> = rows().iter().map(|r| r.id.to_string()).collect();
        let at = opened().and_then(|o| ids.iter().position(|i| *i == o));
        let step = match ev.key().as_str() {
            "j" => 1,
            "k" => -1,
            "r" => {
                // To return the open record: its note box, ready for typing.
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("review-comment"))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    ev.prevent_default();
                    let _ = el.focus();
                }
                return;
            }
            "a" => {
                let Some(id) = opened() else { return };
                let revision = untrack(rows)
                    .into_iter()
                    .find(|r| r.id.to_string() == id)
                    .map(|r| r.revision);
                let (token, lang) = (state.token(), state.lang.get_untracked());
                leptos::task::spawn_local(async move {
                    let request = ReviewRequest {
                        action: ReviewAction::Approve,
                        comment: None,
                        revision,
                    };
                    match api::review(&token, &id, &request, lang).await {
                        Ok(_) => {
                            let _ = changed.try_update(|n| *n += 1);
                        }
                        Err(e) => {
                            let _ = notice.try_set(Some(e.message(lang)));
                        }
                    }
                });
                return;
            }
            _ => return,
        };
        let next = match at {
            Some(i) => i as i64 + step,
            None if step > 0 => 0,
            None => return,
        };
        if let Some(id) = usize::try_from(next).ok().and_then(|n| ids.get(n)) {
            let address = filter.get_untracked().address();
            go.with_value(|go| go(format!("/desk/records/{id}{address}")));
        }
    });
    on_cleanup(move || keys.remove());

    // The forms and the ward's people to filter by (read once; absent if the caller may not
    // list them, and then the choice is not offered).
    let choices = LocalResource::new(move || {
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            let forms = api::list_forms(&token, lang).await.ok();
            let people = api::record_authors(&token, lang).await.ok();
            (forms, people)
        }
    });
    // The category chip says the category as the form labels it ("Trộm cắp", not "theft"):
    // read again only when the form or the category changes, not on every change of the filter.
    let form_and_category =
        Memo::new(move |_| filter.with(|f| (f.form.clone(), f.category.clone())));
    let category_label = LocalResource::new(move || {
        let (form, category) = form_and_category.get();
        let (token, lang) = (state.token(), state.lang.get());
        async move {
            if form.is_empty() || category.is_empty() {
                return None;
            }
            let forms = api::list_forms(&token, lang).await.ok()?;
            let version = forms
                .iter()
                .find(|v| v.key == form)?
                .versions
                .first()?
                .version;
            let def = api::form_definition(&token, &form, version, lang)
                .await
                .ok()?;
            let fields = def.fields.iter().flat_map(|field| {
                let sub: &[domain::form::FieldDef] = match &field.kind {
                    FieldKind::Repeat { fields, .. } => fields,
                    _ => &[],
                };
                std::iter::once(field).chain(sub)
            });
            fields
                .filter_map(|field| field.kind.choices())
                .flatten()
                .find(|c| c.value == category)
                .map(|c| c.label.get(lang).to_owned())
        }
    });
    // The search form's fields, filled from the address.
    let q = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let urgency = RwSignal::new(String::new());
    let conflicts = RwSignal::new(false);
    let group = RwSignal::new(String::new());
    let form = RwSignal::new(String::new());
    let author = RwSignal::new(String::new());
    Effect::new(move |_| {
        let f = filter.get();
        conflicts.set(f.conflicts);
        group.set(f.group.clone());
        form.set(f.form.clone());
        author.set(f.author.clone());
        q.set(f.q);
        from.set(f.from);
        to.set(f.to);
        urgency.set(f.urgency);
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let f = QueueFilter {
            status: filter.get_untracked().status,
            q: q.get_untracked(),
            from: from.get_untracked(),
            to: to.get_untracked(),
            urgency: urgency.get_untracked(),
            group: group.get_untracked(),
            form: form.get_untracked(),
            author: author.get_untracked(),
            conflicts: conflicts.get_untracked(),
            category: filter.get_untracked().category,
        };
        go.with_value(|go| go(format!("/desk/records{}", f.address())));
    };
    let tab = move |status: Option<RecordStatus>| {
        let f = filter.get().with_status(status);
        let count = match first.get() {
            Some(Ok((_, counts))) => Some(
                counts
                    .iter()
                    .filter(|c| status.is_none_or(|s| s == c.status))
                    .map(|c| c.count)
                    .sum::<i64>(),
            ),
            _ => None,
        };
        let label = match status {
            Some(s) => s.label(state.lang.get()),
            None => DeskMsg::AllStates.text(state.lang.get()),
        };
        let current = filter.get().status == status;
        view! {
            <a class="tab" class:current=current aria-current=current.then_some("page")
                href=format!("/desk/records{}", f.address())>
                {label}{count.map(|n| view! { " " <span class="badge">{n}</span> })}
            </a>
        }
    };
    view! {
        <div class="split">
            <section class="split-list">
                <h1>{state.tr(Msg::WardRecords)}</h1>
                <nav class="tabs" aria-label=dt(DeskMsg::Filter) data-testid="queue-tabs">
                    {move || {
                        let mut tabs = vec![tab(None)];
                        tabs.extend(RecordStatus::ALL.into_iter().map(|s| tab(Some(s))));
                        tabs.collect_view()
                    }}
                </nav>
                <form class="queue-filter" on:submit=search>
                    <label>{dt(DeskMsg::Search)}
                        <input type="search" name="q" prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/></label>
                    <label>{dt(DeskMsg::DateFrom)}
                        <input type="text" name="from" inputmode="numeric" placeholder="dd/mm/yyyy" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/></label>
                    <label>{dt(DeskMsg::DateTo)}
                        <input type="text" name="to" inputmode="numeric" placeholder="dd/mm/yyyy" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/></label>
                    <label>{dt(DeskMsg::Urgency)}
                        <select name="urgency" on:change=move |ev| urgency.set(event_target_value(&ev))>
                            {[("", DeskMsg::AnyUrgency), ("normal", DeskMsg::UrgencyNormal), ("urgent", DeskMsg::UrgencyUrgent), ("emergency", DeskMsg::UrgencyEmergency)]
                                .into_iter()
                                .map(|(v, m)| view! { <option value=v selected=move || urgency.get() == v>{dt(m)}</option> })
                                .collect_view()}
                        </select></label>
                    <label>{state.tr(Msg::ResidentialGroup)}
                        <select name="group" on:change=move |ev| group.set(event_target_value(&ev))>
                            <option value="" selected=move || group.get().is_empty()>{dt(DeskMsg::AnyGroup)}</option>
                            {state.session.with_untracked(|s| s.as_ref().map(|s| s.me.groups.clone()).unwrap_or_default())
                                .into_iter()
                                .map(|g| { let v = g.id.to_string(); let v2 = v.clone(); view! { <option value=v selected=move || group.get() == v2>{g.name}</option> } })
                                .collect_view()}
                        </select></label>
                    {move || choices.get().map(|(forms, people)| {
                        let lang = state.lang.get();
                        view! {
                            {forms.map(|forms| view! {
                                <label>{dt(DeskMsg::FormKind)}
                                    <select name="form" on:change=move |ev| form.set(event_target_value(&ev))>
                                        <option value="" selected=move || form.get().is_empty()>{dt(DeskMsg::AnyForm)}</option>
                                        {forms.into_iter().map(|f| {
                                            let v = f.key.clone();
                                            let title = f.title.get(lang).to_owned();
                                            view! { <option value=f.key selected=move || form.get() == v>{title}</option> }
                                        }).collect_view()}
                                    </select></label>
                            })}
                            {people.map(|people| view! {
                                <label>{state.tr(Msg::Author)}
                                    <select name="author" on:change=move |ev| author.set(event_target_value(&ev))>
                                        <option value="" selected=move || author.get().is_empty()>{dt(DeskMsg::AnyAuthor)}</option>
                                        {people.into_iter().map(|p| {
                                            let v = p.id.to_string();
                                            let v2 = v.clone();
                                            let mut name = p.name;
                                            if let Some(g) = p.group { name = format!("{name} ({g})"); }
                                            if !p.active { name = format!("{name} — {}", DeskMsg::Inactive.text(lang)); }
                                            view! { <option value=v selected=move || author.get() == v2>{name}</option> }
                                        }).collect_view()}
                                    </select></label>
                            })}
                        }
                    })}
                    <label class="check"><input type="checkbox" name="conflict" prop:checked=move || conflicts.get()
                        on:change=move |ev| conflicts.set(event_target_checked(&ev))/>{dt(DeskMsg::OnlyConflicts)}</label>
                    <button class="btn" type="submit">{dt(DeskMsg::Apply)}</button>
                    <a class="btn ghost" href="/desk/records">{dt(DeskMsg::ClearFilter)}</a>
                </form>
                {move || {
                    let f = filter.get();
                    (!f.category.is_empty()).then(|| view! {
                        <p class="chip" data-testid="category-filter">
                            {dt(DeskMsg::Category)}": "{
                                let value = f.category.clone();
                                move || category_label.get().flatten().unwrap_or_else(|| value.clone())
                            }" "
                            <a href=format!("/desk/records{}", QueueFilter { category: String::new(), ..f }.address())>"×"</a>
                        </p>
                    })
                }}
                {can_export.then(|| view! { <crate::exports::Exports query=Signal::derive(move || filter.get().api_query())/> })}
                <p class="hint">{dt(DeskMsg::Keys)}</p>
                {move || notice.get().map(|n| view! { <p class="notice" role="status" data-testid="queue-notice">{n}</p> })}
                <Show when=move || !selected.with(|s| s.is_empty())>
                    <button class="btn primary" data-testid="approve-selected" on:click=approve_selected>
                        {dt(DeskMsg::ApproveSelected)}" ("{move || selected.with(|s| s.len())}")"
                    </button>
                </Show>
                <Suspense fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
                    {move || first.get().map(|res| match res {
                        Err(QueueError(msg)) => view! { <p class="notice error" role="alert">{msg}</p> }.into_any(),
                        Ok(_) if rows().is_empty() => view! { <p class="empty">{state.t(Msg::NoRecords)}</p> }.into_any(),
                        Ok(_) => view! {
                            <table class="records-table" data-testid="ward-records">
                                <thead><tr>
                                    <th><span class="visually-hidden">{dt(DeskMsg::SelectRecord)}</span></th>
                                    <th>{state.t(Msg::ReceivedAt)}</th>
                                    <th>{state.t(Msg::ResidentialGroup)}</th>
                                    <th>{state.t(Msg::Records)}</th>
                                    <th>{state.t(Msg::Author)}</th>
                                    <th>{state.t(Msg::Status)}</th>
                                </tr></thead>
                                <tbody>
                                    {move || rows().into_iter().map(|r| {
                                        let id = r.id.to_string();
                                        let uuid = r.id;
                                        let selected_row = { let id = id.clone(); move || opened().as_deref() == Some(id.as_str()) };
                                        let address = filter.get_untracked().address();
                                        view! {
                                            <tr data-id=id.clone() class:selected=selected_row>
                                                <td><input type="checkbox" aria-label=dt(DeskMsg::SelectRecord)
                                                    prop:checked=move || selected.with(|s| s.contains(&uuid))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        selected.update(|s| { if on { s.insert(uuid); } else { s.remove(&uuid); } });
                                                    }/></td>
                                                <td>{format_ms(r.received_at as f64)}</td>
                                                <td>{r.group.name}</td>
                                                <td><a href=format!("/desk/records/{id}{address}")>{r.headline}</a></td>
                                                <td>{r.author}</td>
                                                <td>
                                                    {r.status.label(state.lang.get_untracked())}
                                                    {(r.photos_missing > 0).then(|| view! { " " <span class="badge">{format!("{} ({})", state.t(Msg::PhotoWaiting), r.photos_missing)}</span> })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Show when=can_load_more>
                                <button class="btn block" data-testid="load-more" disabled=move || loading.get() on:click=load_more>{dt(DeskMsg::LoadMore)}</button>
                            </Show>
                        }.into_any(),
                    })}
                </Suspense>
            </section>
            <section class="split-panel">
                <Outlet/>
            </section>
        </div>
    }
}

/// Why the queue could not be shown, in the user's language.
#[derive(Debug, Clone)]
struct QueueError(String);

/// The panel before a record is chosen.
#[component]
pub fn NoneChosen() -> impl IntoView {
    let state = use_app();
    view! { <p class="empty">{state.tr(Msg::ChooseRecord)}</p> }
}

/// One record: every field as its form labels it, photos, and the actions on it.
#[component]
pub fn RecordPanel() -> impl IntoView {
    let state = use_app();
    // Supervisors read the audit trail (officers do not).
    let supervisor = state.session.with_untracked(|s| {
        s.as_ref()
            .is_some_and(|s| s.me.role == domain::api::Role::Supervisor)
    });
    let params = use_params_map();
    let changed = expect_context::<Changed>().0;
    let detail = LocalResource::new(move || {
        changed.track();
        let id = params.with(|p| p.get("id").unwrap_or_default());
        let lang = state.lang.get();
        let token = state.token();
        async move {
            let detail = api::record_detail(&token, &id, lang).await?;
            // Without its definition the record still shows, under its field keys.
            let form = api::form_definition(
                &token,
                &detail.summary.form_key,
                detail.summary.form_version,
                lang,
            )
            .await
            .ok();
            Ok::<_, api::ApiError>((detail, form))
        }
    });
    view! {
        <div class="ward-record">
            <Transition fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
                {move || detail.get().map(|res| {
                    let lang = state.lang.get_untracked();
                    match res {
                        Ok((d, form)) => view! {
                            <article class="card" data-testid="record-detail">
                                <h1>{form.as_ref().map(|f| f.title.get(lang).to_owned()).unwrap_or(d.summary.form_key.clone())}</h1>
                                <dl>
                                    <dt>{state.t(Msg::Status)}</dt><dd>{d.summary.status.label(lang)}</dd>
                                    <dt>{state.t(Msg::Ward)}</dt><dd>{d.ward.name.clone()}</dd>
                                    <dt>{state.t(Msg::ResidentialGroup)}</dt><dd>{d.summary.group.name.clone()}</dd>
                                    <dt>{state.t(Msg::Author)}</dt><dd>{d.summary.author.clone()}</dd>
                                    <dt>{state.t(Msg::ReceivedAt)}</dt><dd>{format_ms(d.summary.received_at as f64)}</dd>
                                    {form.iter().flat_map(|f| f.fields.iter()).filter_map(|field| {
                                        let v = d.data.get(&field.key)?;
                                        let label = field.label.get(lang).to_owned();
                                        let shown = match (&field.kind, v) {
                                            (FieldKind::Repeat { fields, .. }, Value::Array(rows)) => view! {
                                                <ol class="rows">
                                                    {rows.iter().map(|row| view! {
                                                        <li><dl>
                                                            {fields.iter().filter_map(|sub| {
                                                                let v = row.get(&sub.key)?;
                                                                let shown = match (&sub.kind, v) {
                                                                    (FieldKind::Photo { .. }, Value::Array(items)) => view! { <ServerPhotos items=items.clone()/> }.into_any(),
                                                                    (kind, v) => show_field_value(kind, v, lang).into_any(),
                                                                };
                                                                Some(view! { <dt>{sub.label.get(lang).to_owned()}</dt><dd class="value">{shown}</dd> })
                                                            }).collect_view()}
                                                        </dl></li>
                                                    }).collect_view()}
                                                </ol>
                                            }.into_any(),
                                            (FieldKind::Photo { .. }, Value::Array(items)) => view! { <ServerPhotos items=items.clone()/> }.into_any(),
                                            (kind, v) => show_field_value(kind, v, lang).into_any(),
                                        };
                                        Some(view! { <dt>{label}</dt><dd class="value">{shown}</dd> })
                                    }).collect_view()}
                                </dl>
                                <ReviewActions id=d.summary.id.to_string() revision=d.summary.revision actions=d.actions.clone() on_changed=Callback::new(move |_| changed.update(|n| *n += 1))/>
                                <History id=d.summary.id.to_string() form=form.clone()/>
                                {supervisor.then(|| view! { <RecordAudit id=d.summary.id.to_string()/> })}
                            </article>
                        }.into_any(),
                        Err(e) => view! { <p class="notice error">{e.message(lang)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// What the reader may do to the record now (the server's `review::allowed`): approve, return
/// with a note, take up or resolve a report with a reply.
#[component]
fn ReviewActions(
    id: String,
    /// The revision shown: the one the action is about.
    revision: Uuid,
    actions: Vec<ReviewAction>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let state = use_app();
    let error = RwSignal::new(None::<String>);
    let comment = RwSignal::new(String::new());
    let id = StoredValue::new(id);
    let act = Action::new_local(move |action: &ReviewAction| {
        let request = ReviewRequest {
            action: *action,
            comment: Some(comment.get_untracked()),
            revision: Some(revision),
        };
        let lang = state.lang.get_untracked();
        let token = state.token();
        async move {
            match api::review(&token, &id.get_value(), &request, lang).await {
                Ok(_) => {
                    error.set(None);
                    comment.set(String::new());
                    // The panel may have moved on to another record meanwhile.
                    let _ = on_changed.try_run(());
                }
                Err(e) => error.set(Some(e.message(lang))),
            }
        }
    });
    (!actions.is_empty()).then(|| {
        view! {
            <div class="actions review" role="group" aria-label=state.tr(Msg::Status)>
                <label for="review-comment">{move || ReviewAction::comment_label(state.lang.get())}</label>
                <textarea id="review-comment" rows="3" maxlength="1000" prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                {actions
                    .into_iter()
                    .map(|a| view! {
                        <button class="btn" class:primary=a == ReviewAction::Approve disabled=move || act.pending().get()
                            on:click=move |_| { act.dispatch(a); }>
                            {move || a.label(state.lang.get())}
                        </button>
                    })
                    .collect_view()}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
        }
    })
}

/// The audit trail's entries about the record (supervisors read the audit trail).
#[component]
fn RecordAudit(id: String) -> impl IntoView {
    let state = use_app();
    let changed = expect_context::<Changed>().0;
    let id = StoredValue::new(id);
    let entries = LocalResource::new(move || {
        changed.track();
        let (token, lang) = (state.token(), state.lang.get());
        async move { api::record_audit(&token, &id.get_value(), lang).await }
    });
    view! {
        <section class="record-audit" data-testid="record-audit">
            <h2>{dt(DeskMsg::RecordAudit)}</h2>
            <ul>
                {move || entries.get().and_then(Result::ok).map(|list| list.into_iter().map(|e| view! {
                    <li>{format!("{} · {} · {}{}", format_ms(e.at as f64), e.actor.unwrap_or_default(), e.action,
                        if e.detail.is_empty() { String::new() } else { format!(" ({})", e.detail) })}</li>
                }).collect_view())}
            </ul>
        </section>
    }
}

/// A field's label in `form`, or its key.
fn label_in(form: Option<&FormDef>, key: &str, lang: Lang) -> String {
    form.and_then(|f| f.field(key))
        .map(|f| f.label.get(lang).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

/// A value as a reader reads it (the form's way when it has the field).
fn shown_value(form: Option<&FormDef>, key: &str, v: Option<&Value>, lang: Lang) -> String {
    match (form.and_then(|f| f.field(key)), v) {
        (_, None) | (_, Some(Value::Null)) => "—".to_owned(),
        (Some(f), Some(v)) => show_field_value(&f.kind, v, lang),
        (None, Some(v)) => show_value(v),
    }
}

/// The fields where `b` differs from `a`, in the form's order (then any others).
fn differences(
    form: Option<&FormDef>,
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Vec<String> {
    let mut keys: Vec<String> = form
        .map(|f| f.fields.iter().map(|f| f.key.clone()).collect())
        .unwrap_or_default();
    for k in a.keys().chain(b.keys()) {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    keys.into_iter().filter(|k| a.get(k) != b.get(k)).collect()
}

/// The record's history: its revisions with what each changed, its reviews, and conflicting
/// copies side by side with the current revision, each settled by choosing one.
#[component]
fn History(id: String, form: Option<FormDef>) -> impl IntoView {
    let state = use_app();
    let changed = expect_context::<Changed>().0;
    let id = StoredValue::new(id);
    let form = StoredValue::new(form);
    let history = LocalResource::new(move || {
        changed.track();
        let (token, lang) = (state.token(), state.lang.get());
        async move { api::record_history(&token, &id.get_value(), lang).await }
    });
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let resolve = move |conflict: i64, keep: Keep, current: Option<Uuid>| {
        let (token, lang) = (state.token(), state.lang.get_untracked());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let done =
                api::resolve_conflict(&token, &id.get_value(), conflict, keep, current, lang).await;
            let _ = busy.try_set(false);
            match done {
                Ok(_) => {
                    let _ = error.try_set(None);
                    let _ = changed.try_update(|n| *n += 1);
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message(lang)));
                }
            }
        });
    };
    view! {
        <section class="history" data-testid="record-history">
            <h2>{dt(DeskMsg::History)}</h2>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || history.get().and_then(Result::ok).map(|h| {
                let lang = state.lang.get();
                form.with_value(|form| {
                    let form = form.as_ref();
                    let current = h.revisions.last().map(|r| r.data.clone()).unwrap_or_default();
                    let current_id = h.revisions.last().map(|r| r.id);
                    let revisions = h.revisions.iter().enumerate().map(|(i, r)| {
                        let changes = match i.checked_sub(1).and_then(|p| h.revisions.get(p)) {
                            None => vec![DeskMsg::FirstRevision.text(lang).to_owned()],
                            Some(prev) => {
                                let keys = differences(form, &prev.data, &r.data);
                                if keys.is_empty() {
                                    vec![DeskMsg::NoDifference.text(lang).to_owned()]
                                } else {
                                    keys.iter().map(|k| format!(
                                        "{}: {} → {}",
                                        label_in(form, k, lang),
                                        shown_value(form, k, prev.data.get(k), lang),
                                        shown_value(form, k, r.data.get(k), lang),
                                    )).collect()
                                }
                            }
                        };
                        view! {
                            <li data-testid="revision">
                                <strong>{format!("{} {}", DeskMsg::Revision.text(lang), i + 1)}</strong>
                                {format!(" · {} · {}", r.author, format_ms(r.received_at as f64))}
                                <ul>{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                            </li>
                        }
                    }).collect_view();
                    let reviews = h.reviews.iter().map(|r| {
                        let what = match r.action.as_str() {
                            "conflict_current" => DeskMsg::ResolvedKeepCurrent.text(lang),
                            "conflict_theirs" => DeskMsg::ResolvedTheirs.text(lang),
                            other => ReviewAction::ALL
                                .into_iter()
                                .find(|a| a.as_str() == other)
                                .map(|a| a.label(lang))
                                .unwrap_or(DeskMsg::Resubmitted.text(lang)),
                        };
                        let comment = r.comment.clone().map(|c| format!(" — “{c}”")).unwrap_or_default();
                        view! {
                            <li>{format!("{} · {}: {} ({} → {}){comment}", format_ms(r.at as f64), r.by, what, r.from.label(lang), r.to.label(lang))}</li>
                        }
                    }).collect_view();
                    let conflicts = h.conflicts.iter().map(|c| {
                        let conflict = c.id;
                        let keys = differences(form, &current, &c.data);
                        let settled = c.resolution.as_deref().map(|r| if r == "theirs" {
                            DeskMsg::ResolvedTheirs.text(lang)
                        } else {
                            DeskMsg::ResolvedKeepCurrent.text(lang)
                        });
                        view! {
                            <div class="conflict" data-testid="conflict">
                                <p>{format!("{} · {}", c.author, format_ms(c.received_at as f64))}</p>
                                {settled.is_none().then(|| view! { <p class="hint">{DeskMsg::ConflictHint.text(lang)}</p> })}
                                <table class="records-table side-by-side">
                                    <thead><tr>
                                        <th>{DeskMsg::Field.text(lang)}</th>
                                        <th>{DeskMsg::CurrentCopy.text(lang)}</th>
                                        <th>{DeskMsg::TheirCopy.text(lang)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {keys.iter().map(|k| view! {
                                            <tr>
                                                <td>{label_in(form, k, lang)}</td>
                                                <td>{shown_value(form, k, current.get(k), lang)}</td>
                                                <td>{shown_value(form, k, c.data.get(k), lang)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {match settled {
                                    Some(s) => view! { <p class="badge">{s}</p> }.into_any(),
                                    None => view! {
                                        <div class="actions">
                                            <button class="btn" disabled=move || busy.get() on:click=move |_| resolve(conflict, Keep::Current, current_id)>{DeskMsg::KeepCurrent.text(lang)}</button>
                                            <button class="btn" disabled=move || busy.get() on:click=move |_| resolve(conflict, Keep::Theirs, current_id)>{DeskMsg::UseTheirs.text(lang)}</button>
                                        </div>
                                    }.into_any(),
                                }}
                            </div>
                        }
                    }).collect_view();
                    view! {
                        {(!h.conflicts.is_empty()).then(|| view! { <h3>{DeskMsg::Conflicts.text(lang)}</h3> })}
                        {conflicts}
                        <ol class="revisions">{revisions}</ol>
                        <ul class="reviews">{reviews}</ul>
                    }
                })
            })}
        </section>
    }
}

/// Photos of a record, fetched with the caller's sign-in (an `<img src>` could not send it).
#[component]
fn ServerPhotos(items: Vec<Value>) -> impl IntoView {
    let state = use_app();
    items
        .into_iter()
        .filter_map(|p| PhotoRef::parse(&p).map(|p| p.sha256))
        .map(|sha| {
            let url = LocalResource::new(move || {
                let (token, lang, sha) = (state.token(), state.lang.get_untracked(), sha.clone());
                async move {
                    let blob = api::photo(&token, &sha, lang).await.ok()?;
                    web_sys::Url::create_object_url_with_blob(&blob).ok()
                }
            });
            on_cleanup(move || {
                if let Some(Some(u)) = url.get_untracked() {
                    let _ = web_sys::Url::revoke_object_url(&u);
                }
            });
            view! {
                {move || match url.get() {
                    Some(Some(u)) => { let src = u.clone(); view! { <a href=u target="_blank"><img class="thumb" src=src alt="" width="96" height="96"/></a> }.into_any() }
                    Some(None) => view! { <span class="badge">{state.t(Msg::PhotoWaiting)}</span> }.into_any(),
                    None => view! { <span class="thumb placeholder"></span> }.into_any(),
                }}
            }
        })
        .collect_view()
}
