//! Exports of the queue's records, under the queue's filter (supervisors, provincial staff):
//! a button per format, and the person's exports of the last day, each with its progress while
//! the server builds it and a download button when it is done. An export started here is
//! downloaded by itself when it finishes; one started earlier (another tab, before a reload)
//! waits for its button.

use std::collections::BTreeSet;

use domain::api::{ExportFormat, ExportJob, ExportState};
use leptos::prelude::*;
use uuid::Uuid;

use app::api;
use app::state::use_app;

use crate::text::{dt, DeskMsg};

/// `12.345` in Vietnamese, `12,345` in English.
fn count(n: u64, lang: domain::Lang) -> String {
    let digits = n.to_string();
    let sep = match lang {
        domain::Lang::Vi => '.',
        domain::Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn format_name(f: ExportFormat) -> DeskMsg {
    match f {
        ExportFormat::Xlsx => DeskMsg::ExportXlsx,
        ExportFormat::Csv => DeskMsg::ExportCsvZip,
        ExportFormat::Geojson => DeskMsg::ExportGeojson,
    }
}

#[component]
pub fn Exports(
    /// The queue's filter as the server reads it (an error when a date cannot be read).
    query: Signal<Result<String, DeskMsg>>,
) -> impl IntoView {
    let state = use_app();
    let jobs = RwSignal::new(Vec::<ExportJob>::new());
    let error = RwSignal::new(None::<String>);
    // Started on this page: saved as soon as they are done.
    let wanted = StoredValue::new(BTreeSet::<Uuid>::new());
    let downloading = RwSignal::new(BTreeSet::<Uuid>::new());

    let download = move |job: ExportJob| {
        let (token, lang) = (state.token(), state.lang.get_untracked());
        downloading.update(|d| {
            d.insert(job.id);
        });
        leptos::task::spawn_local(async move {
            let result = api::export_file(&token, job.id, lang).await;
            let _ = downloading.try_update(|d| d.remove(&job.id));
            match result {
                Ok(blob) => {
                    if let Err(e) = app::browser::download_blob(&job.file_name, &blob) {
                        leptos::logging::warn!("export download: {e}");
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message(lang)));
                }
            }
        });
    };

    let (token, lang) = (state.token(), state.lang.get_untracked());
    leptos::task::spawn_local(async move {
        match api::exports(&token, lang).await {
            Ok(list) => {
                let _ = jobs.try_set(list);
            }
            Err(e) => {
                let _ = error.try_set(Some(e.message(lang)));
            }
        }
    });

    // Running exports are asked about once a second; one asking at a time.
    let asking = StoredValue::new(false);
    if let Ok(ticking) = set_interval_with_handle(
        move || {
            let running: Vec<Uuid> = jobs
                .try_with_untracked(|j| {
                    j.iter()
                        .filter(|j| j.state == ExportState::Running)
                        .map(|j| j.id)
                        .collect()
                })
                .unwrap_or_default();
            if running.is_empty() || asking.try_get_value().unwrap_or(true) {
                return;
            }
            asking.set_value(true);
            let (token, lang) = (state.token(), state.lang.get_untracked());
            leptos::task::spawn_local(async move {
                for id in running {
                    let Ok(now) = api::export_status(&token, id, lang).await else {
                        continue;
                    };
                    let finished = now.state == ExportState::Done
                        && wanted.try_with_value(|w| w.contains(&id)).unwrap_or(false);
                    let _ = jobs.try_update(|all| {
                        if let Some(j) = all.iter_mut().find(|j| j.id == id) {
                            *j = now.clone();
                        }
                    });
                    if finished {
                        wanted.update_value(|w| {
                            w.remove(&id);
                        });
                        download(now);
                    }
                }
                let _ = asking.try_set_value(false);
            });
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || ticking.clear());
    }

    let start = move |format: ExportFormat| {
        let lang = state.lang.get_untracked();
        let q = match query.get_untracked() {
            Ok(q) => q,
            Err(m) => {
                error.set(Some(m.text(lang).to_owned()));
                return;
            }
        };
        error.set(None);
        let token = state.token();
        leptos::task::spawn_local(async move {
            match api::start_export(&token, format, &q, lang).await {
                Ok(job) => {
                    wanted.update_value(|w| {
                        w.insert(job.id);
                    });
                    let _ = jobs.try_update(|all| all.insert(0, job));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message(lang)));
                }
            }
        });
    };

    view! {
        <details class="exports" data-testid="exports">
            <summary>
                <h2>{dt(DeskMsg::Export)}</h2>
                {move || {
                    let lang = state.lang.get();
                    let (running, ready) = jobs.with(|j| (
                        j.iter().filter(|j| j.state == ExportState::Running).count(),
                        j.iter().filter(|j| j.state == ExportState::Done).count(),
                    ));
                    let mut parts = Vec::new();
                    if running > 0 {
                        parts.push(format!("{running} {}", DeskMsg::ExportsRunning.text(lang)));
                    }
                    if ready > 0 {
                        parts.push(format!("{ready} {}", DeskMsg::ExportsReady.text(lang)));
                    }
                    (!parts.is_empty()).then(|| view! { <span class="badge">{parts.join(" · ")}</span> })
                }}
            </summary>
            <p class="hint">{dt(DeskMsg::ExportHint)}</p>
            <div class="actions">
                {ExportFormat::ALL.into_iter().map(|f| view! {
                    <button class="btn" type="button" data-testid=format!("export-{}", f.as_str())
                        on:click=move |_| start(f)>{dt(format_name(f))}</button>
                }).collect_view()}
            </div>
            {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            <ul class="export-list" aria-live="polite">
                {move || {
                    let lang = state.lang.get();
                    jobs.get().into_iter().map(|job| {
                        let state_name = match job.state {
                            ExportState::Running => "running",
                            ExportState::Done => "done",
                            ExportState::Failed => "failed",
                        };
                        let what = format!("{} · {}", format_name(job.format).text(lang), job.file_name);
                        let body = match job.state {
                            ExportState::Running => {
                                let label = if job.done == 0 && job.total > 0 {
                                    DeskMsg::ExportWaiting.text(lang).to_owned()
                                } else {
                                    format!("{} / {} {}", count(job.done, lang), count(job.total, lang), DeskMsg::RecordsWord.text(lang))
                                };
                                view! {
                                    <progress max=job.total.max(1).to_string() value=job.done.to_string()
                                        aria-label=what.clone()></progress>
                                    <span class="progress-text">{label}</span>
                                }.into_any()
                            }
                            ExportState::Done => {
                                let id = job.id;
                                let busy = move || downloading.with(|d| d.contains(&id));
                                let records = format!("{} {}", count(job.total, lang), DeskMsg::RecordsWord.text(lang));
                                let label = format!("{} ({})", DeskMsg::Download.text(lang), size(job.bytes.unwrap_or(0)));
                                let job = job.clone();
                                view! {
                                    <span>{records}</span>
                                    <button class="btn primary" type="button" data-testid="export-download"
                                        disabled=busy on:click=move |_| download(job.clone())>{label}</button>
                                }.into_any()
                            }
                            ExportState::Failed => view! {
                                <span class="error">{job.error.clone().unwrap_or_default()}</span>
                            }.into_any(),
                        };
                        view! {
                            <li class="export" data-testid="export" data-state=state_name>
                                <span class="export-name">{what}</span>
                                {body}
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
        </details>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_by_thousands_as_each_language_writes_them() {
        assert_eq!(super::count(1_234_567, domain::Lang::Vi), "1.234.567");
        assert_eq!(super::count(100_000, domain::Lang::En), "100,000");
        assert_eq!(super::count(999, domain::Lang::Vi), "999");
        assert_eq!(super::size(2 * 1024 * 1024 + 100_000), "2.1 MB");
        assert_eq!(super::size(1), "1 KB");
    }
}
