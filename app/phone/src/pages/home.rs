//! Home: a big button for a new report, the user's drafts and records with their status.

use domain::api::Role;
use domain::form::{FieldKind, FormDef, NEIGHBORHOOD_REPORT};
use domain::Lang;
use leptos::prelude::*;
use serde_json::{Map, Value};

use app::browser;
use app::i18n::{format_ms, role_label, Msg};
use app::load::load;
use app::state::use_app;
use app::store::{self, LocalRecord, LocalState};
use app::sync::use_sync;

/// "Trộm cắp — Ngõ 5": the first choice and the first short text of a record.
pub fn headline(form: Option<&FormDef>, data: Option<&Map<String, Value>>, lang: Lang) -> String {
    let (Some(form), Some(data)) = (form, data) else {
        return form
            .map(|f| f.title.get(lang).to_owned())
            .unwrap_or_default();
    };
    let mut parts: Vec<String> = Vec::new();
    for f in &form.fields {
        match &f.kind {
            FieldKind::SingleChoice { choices } if parts.is_empty() => {
                if let Some(c) = data
                    .get(&f.key)
                    .and_then(Value::as_str)
                    .and_then(|v| choices.iter().find(|c| c.value == v))
                {
                    parts.push(c.label.get(lang).to_owned());
                }
            }
            FieldKind::Text { .. } => {
                if let Some(t) = data
                    .get(&f.key)
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                {
                    parts.push(t.chars().take(60).collect());
                    break;
                }
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        form.title.get(lang).to_owned()
    } else {
        parts.join(" — ")
    }
}

/// A validation path as a person reads it: `people[1].name` is "Người gặp 2 › Họ và tên".
pub fn field_label(form: &FormDef, path: &str, lang: Lang) -> String {
    let (top, rest) = match path.split_once('[') {
        Some((top, rest)) => (top, Some(rest)),
        None => (path, None),
    };
    let Some(field) = form.field(top) else {
        return path.to_owned();
    };
    let label = field.label.get(lang).to_owned();
    let Some((row, sub)) = rest.and_then(|r| r.split_once(']')) else {
        return label;
    };
    let row = row
        .parse::<usize>()
        .map_or(String::new(), |n| format!(" {}", n + 1));
    let sub_label = match (&field.kind, sub.strip_prefix('.')) {
        (FieldKind::Repeat { fields, .. }, Some(k)) => fields
            .iter()
            .find(|f| f.key == k)
            .map(|f| format!(" › {}", f.label.get(lang))),
        _ => None,
    };
    format!("{label}{row}{}", sub_label.unwrap_or_default())
}

fn state_label(r: &LocalRecord, lang: Lang) -> String {
    match r.state {
        LocalState::Outbox => Msg::StatusOutbox.text(lang).to_owned(),
        LocalState::Rejected => Msg::StatusRejected.text(lang).to_owned(),
        LocalState::Conflict => Msg::StatusConflict.text(lang).to_owned(),
        LocalState::Synced => r
            .status
            .map(|s| s.label(lang))
            .unwrap_or(Msg::StatusSynced.text(lang))
            .to_owned(),
    }
}

#[component]
pub fn Home() -> impl IntoView {
    let state = use_app();
    let status = use_sync();
    let nav = crate::nav::use_nav();
    let data = load(move || {
        status.records_version.track();
        async move {
            let mut records = store::records().await.unwrap_or_default();
            // What waits for the user (returned, refused) first, then the newest.
            records.sort_by(|a, b| {
                (b.needs_action().cmp(&a.needs_action()))
                    .then(b.submitted_at.total_cmp(&a.submitted_at))
            });
            let mut drafts = store::drafts().await.unwrap_or_default();
            drafts.sort_by(|a, b| b.updated_at.total_cmp(&a.updated_at));
            let forms = store::forms().await.unwrap_or_default();
            (records, drafts, forms)
        }
    });
    let me = move || state.session.get().map(|s| s.me);
    let new_record = move |key: String| {
        let id = browser::new_id();
        nav.go(&format!("/report/{id}?form={key}"));
    };
    // The newest version of each form this user may file, the neighborhood report first.
    let fileable = move || {
        let role = me()?.role;
        let forms = data.get()?.2;
        let mut latest: Vec<FormDef> = Vec::new();
        for f in forms.into_iter().filter(|f| f.filed_by.contains(&role)) {
            match latest.iter_mut().find(|l| l.key == f.key) {
                Some(l) if l.version < f.version => *l = f,
                Some(_) => {}
                None => latest.push(f),
            }
        }
        latest.sort_by_key(|f| (f.key != NEIGHBORHOOD_REPORT, f.key.clone()));
        Some(latest)
    };

    let unsent_work = move || {
        status.photos_waiting.get() != 0
            || data.with(|d| {
                d.as_ref()
                    .is_some_and(|(records, drafts, _)| has_unsent(records, drafts))
            })
    };
    view! {
        <div class="home">
            {move || me().map(|me| view! {
                <p class="who">
                    <strong>{me.display_name.clone()}</strong>" · "{state.t(role_label(me.role))}
                    {me.group.clone().map(|g| format!(" · {}", g.name))}
                    {me.ward.clone().map(|w| {
                        let kind = match me.ward_kind {
                            Some(domain::admin::WardKind::Commune) => Msg::CommunePrefix,
                            _ => Msg::WardPrefix,
                        };
                        format!(" · {} {}", state.t(kind), w.name)
                    })}
                    " · "<a href="/devices" data-testid="devices-link">{state.t(Msg::Devices)}</a>
                </p>
            })}
            <nav class="new-records" aria-label=state.tr(Msg::NewRecord)>
                {move || fileable().unwrap_or_default().into_iter().map(|f| {
                    let report = f.key == NEIGHBORHOOD_REPORT;
                    let testid = if report { "new-report".to_owned() } else { format!("new-{}", f.key) };
                    let key = f.key.clone();
                    let title = f.title.clone();
                    view! {
                        <button class=if report { "btn primary block big" } else { "btn block" } data-testid=testid
                            on:click=move |_| new_record(key.clone())>
                            {move || if report { state.t(Msg::NewReport).to_owned() } else {
                                format!("{}: {}", state.t(Msg::NewRecord), title.get(state.lang.get()))
                            }}
                        </button>
                    }
                }).collect_view()}
            </nav>
            // The desk pages are another app (a full page load); a phone never loads it unless
            // one of these is opened.
            <Show when=move || me().is_some_and(|m| m.role != Role::GroupLeader)>
                <nav class="desk-links" aria-label=state.tr(Msg::Desk)>
                    <Show when=move || me().is_some_and(|m| matches!(m.role, Role::Supervisor | Role::Officer))>
                        <a class="btn block" rel="external" href="/desk/records" data-testid="desk-records">{state.tr(Msg::WardRecords)}</a>
                    </Show>
                    <Show when=move || me().is_some_and(|m| m.role == Role::Admin)>
                        <a class="btn block" rel="external" href="/desk/people">{state.tr(Msg::People)}</a>
                    </Show>
                    <Show when=move || me().is_some_and(|m| m.role.uses_desk())>
                        <a class="btn block" rel="external" href="/desk/forms">{state.tr(Msg::Forms)}</a>
                        <a class="btn block" rel="external" href="/desk/audit">{state.tr(Msg::AuditTrail)}</a>
                    </Show>
                </nav>
            </Show>
            {move || match data.get() {
                None => view! { <p>{state.t(Msg::Loading)}</p> }.into_any(),
                Some((records, drafts, forms)) => {
                    let lang = state.lang.get();
                    let find = |key: &str, v: u32| forms.iter().find(|f| f.key == key && f.version == v).cloned();
                    view! {
                        <Show when={let n = drafts.len(); move || n > 0}>
                            <h2>{state.t(Msg::Drafts)}</h2>
                        </Show>
                        <ul class="list drafts">
                            {drafts.iter().map(|d| {
                                let form = find(&d.form_key, d.form_version);
                                let id = d.id.clone();
                                let discard = move |_| {
                                    if !browser::confirm(state.t(Msg::ConfirmDiscard)) {
                                        return;
                                    }
                                    let id = id.clone();
                                    leptos::task::spawn_local(async move {
                                        let _ = store::delete_draft(&id).await;
                                        status.refresh_counts().await;
                                    });
                                };
                                view! {
                                    <li class="draft">
                                        <a class="row" href=format!("/report/{}", d.id)>
                                            <span class="title">{headline(form.as_ref(), Some(&d.data), lang)}</span>
                                            <span class="meta">{format!("{} · {}", form.as_ref().map(|f| f.title.get(lang).to_owned()).unwrap_or_default(), format_ms(d.updated_at))}</span>
                                        </a>
                                        <button type="button" class="btn small ghost" on:click=discard>{state.t(Msg::Discard)}</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <h2>{state.t(Msg::MyRecords)}</h2>
                        {records.is_empty().then(|| view! { <p class="empty">{state.t(Msg::NoRecords)}</p> })}
                        <ul class="list records" data-testid="my-records">
                            {records.iter().map(|r| {
                                let form = find(&r.form_key, r.form_version);
                                let editable = r.needs_action();
                                let class = if r.returned() { "row state-returned".to_owned() } else { format!("row state-{}", r.state.as_str()) };
                                view! {
                                    <li class=class data-id=r.id.clone()>
                                        <div class="title">{headline(form.as_ref(), r.data.as_ref(), lang)}</div>
                                        <div class="meta">
                                            <span class="badge">{state_label(r, lang)}</span>
                                            " "{format_ms(r.submitted_at)}
                                        </div>
                                        {r.message.clone().map(|m| view! { <p class="error">{m}</p> })}
                                        <ul class="field-errors">
                                            {r.errors.iter().map(|e| {
                                                let label = form.as_ref().map(|f| field_label(f, &e.field, lang)).unwrap_or_else(|| e.field.clone());
                                                view! { <li>{label}": "{e.violation.message(lang)}</li> }
                                            }).collect_view()}
                                        </ul>
                                        {r.status_note.clone().map(|n| view! { <p class="note">{state.t(Msg::Note)}": "{n}</p> })}
                                        {editable.then(|| view! { <a class="btn small" href=format!("/report/{}", r.id)>{state.t(if r.returned() { Msg::Correct } else { Msg::Edit })}</a> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <Show when=unsent_work>
                <ExportUnsent/>
            </Show>
            <StorageUse/>
        </div>
    }
}

#[component]
fn StorageUse() -> impl IntoView {
    let state = use_app();
    let estimate = load(browser::storage_estimate);
    let persisted = load(browser::persisted);
    view! {
        <p class="storage">
            {move || estimate.get().flatten().map(|(used, quota)| {
                // Whole tenths of a megabyte, without pulling float formatting into the app.
                let tenths = (used / 1e5).round() as u64;
                format!("{}: {}.{} MB / {} MB", state.t(Msg::StorageUse), tenths / 10, tenths % 10, (quota / 1e6) as u64)
            })}
            {move || persisted.get().flatten().map(|kept| view! {
                <br/>
                <span data-testid="storage-persisted" class=if kept { "kept" } else { "not-kept" }>
                    {state.t(if kept { Msg::StoragePersisted } else { Msg::StorageNotPersisted })}
                </span>
            })}
        </p>
    }
}

/// Whether anything on the phone has not reached the server: a draft, a queued record, or one
/// the server refused.
fn has_unsent(records: &[LocalRecord], drafts: &[store::Draft]) -> bool {
    !drafts.is_empty() || records.iter().any(|r| r.state != LocalState::Synced)
}

/// "Xuất hồ sơ chưa gửi ra tệp": the outbox, drafts and refused records, with their photos, as
/// one JSON file the user can keep when the phone must be wiped (sync rule 12). No network.
#[component]
fn ExportUnsent() -> impl IntoView {
    let state = use_app();
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let export = move |_| {
        let Some(me) = state.session.get_untracked().map(|s| s.me) else {
            return;
        };
        busy.set(true);
        failed.set(None);
        leptos::task::spawn_local(async move {
            // The page may be gone by now: these are then nobody's to show.
            if let Err(e) = export_unsent(&me).await {
                leptos::logging::error!("export failed: {e}");
                let _ = failed.try_set(Some(e));
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <div class="export">
            <button type="button" class="btn block" data-testid="export-unsent"
                disabled=move || busy.get() on:click=export>
                {state.tr(Msg::ExportUnsent)}
            </button>
            {move || failed.get().map(|e| view! {
                <p class="error" role="alert">{state.t(Msg::ExportFailed)}" "{e}</p>
            })}
        </div>
    }
}

/// The file of unsent work a user can hand over when the phone is about to be wiped.
#[derive(serde::Serialize)]
struct UnsentFile<'a> {
    exported_at: String,
    user: &'a domain::api::Me,
    /// The outbox, as it would be pushed.
    records: Vec<domain::record::RecordEnvelope>,
    drafts: Vec<store::Draft>,
    /// Records the server refused or found in conflict, waiting for the user.
    refused: Vec<LocalRecord>,
    /// Every photo a record or draft names, by SHA-256.
    photos: std::collections::BTreeMap<String, ExportedPhoto>,
}

#[derive(serde::Serialize)]
struct ExportedPhoto {
    #[serde(rename = "type")]
    content_type: String,
    base64: String,
}

/// Writes the [`UnsentFile`] of this phone and hands it to the user as a download.
async fn export_unsent(me: &domain::api::Me) -> Result<(), String> {
    let records = store::outbox(u32::MAX).await?;
    let drafts = store::drafts().await?;
    let refused: Vec<LocalRecord> = store::records()
        .await?
        .into_iter()
        .filter(|r| matches!(r.state, LocalState::Rejected | LocalState::Conflict))
        .collect();
    let mut shas = std::collections::BTreeSet::new();
    // Photos of records already on the server that have not followed them yet.
    for p in store::photos_to_upload().await? {
        shas.insert(p.sha256);
    }
    records
        .iter()
        .map(|r| &r.data)
        .chain(drafts.iter().map(|d| &d.data))
        .chain(refused.iter().filter_map(|r| r.data.as_ref()))
        .for_each(|data| shas.extend(domain::value::photo_shas(data)));
    let mut photos = std::collections::BTreeMap::new();
    for sha in shas {
        if let Some(photo) = store::photo(&sha).await? {
            let bytes = browser::blob_bytes(&photo.blob).await?;
            photos.insert(
                sha,
                ExportedPhoto {
                    content_type: photo.content_type,
                    base64: browser::base64(&bytes),
                },
            );
        }
    }
    let now = js_sys::Date::new_0();
    let file = UnsentFile {
        exported_at: now.to_iso_string().into(),
        user: me,
        records,
        drafts,
        refused,
        photos,
    };
    let username: String = me
        .username
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // The phone's local time, as the user reads the clock.
    let name = format!(
        "wardbook-chua-gui-{username}-{:04}{:02}{:02}-{:02}{:02}.json",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date(),
        now.get_hours(),
        now.get_minutes()
    );
    let json = browser::pretty_json(&file)?;
    browser::download(&name, "application/json", &json)
}
