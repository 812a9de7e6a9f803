//! The GPS field.

use domain::value::GpsFix;
use leptos::prelude::*;
use serde_json::Value;

use app::browser::{self, GpsError};
use app::i18n::Msg;
use app::state::use_app;

use super::editor::Pending;

/// A button that takes the phone's position, and what it took.
#[component]
pub fn GpsInput(id: String, value: Signal<Value>, on_change: Callback<Value>) -> impl IntoView {
    let state = use_app();
    let problem = RwSignal::new(None::<Msg>);
    let pending = use_context::<Pending>();
    let busy = app::load::Busy::new();
    let take = move || async move {
        problem.set(None);
        if let Some(p) = pending {
            p.0.update(|n| *n += 1);
        }
        let fix = browser::current_position().await;
        if let Some(p) = pending {
            let _ = p.0.try_update(|n| *n = n.saturating_sub(1));
        }
        // The field may be gone by now (the user left the form): then drop the fix quietly.
        let _ = match fix {
            Ok(fix) => on_change.try_run(fix.to_value()).map(|_| ()),
            Err(GpsError::Denied) => problem.try_set(Some(Msg::GpsDenied)).map(|_| ()),
            Err(GpsError::Unavailable) => problem.try_set(Some(Msg::GpsUnavailable)).map(|_| ()),
        };
    };
    let shown = move || value.with(|v| GpsFix::parse(v).map(|fix| fix.display()));
    view! {
        <div class="gps">
            <p class="gps-value" data-testid=format!("{id}-value")>{move || shown().unwrap_or_else(|| state.t(Msg::GpsNone).to_owned())}</p>
            <button type="button" id=id class="btn block" disabled=move || busy.get() on:click=move |_| { busy.run(take()); }>
                {move || if busy.get() {
                    state.t(Msg::GpsTaking)
                } else if value.with(Value::is_null) {
                    state.t(Msg::GpsTake)
                } else {
                    state.t(Msg::GpsRetake)
                }}
            </button>
            <Show when=move || !value.with(Value::is_null)>
                <button type="button" class="btn ghost block" on:click=move |_| on_change.run(Value::Null)>
                    {state.tr(Msg::GpsClear)}
                </button>
            </Show>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{state.t(m)}</p> })}
        </div>
    }
}
