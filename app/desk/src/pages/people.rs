//! People and places, for administrators: users (add, edit, deactivate, reset a password, sign
//! out every device) and wards with their residential groups.

use domain::admin::{
    GroupMove, ReorganisationInput, UserInput, UserView, WardClosure, WardInput, WardKind, WardView,
};
use domain::api::Role;
use leptos::prelude::*;

use app::api::{self, ApiError};
use app::i18n::{role_label, Msg};
use app::state::use_app;

/// An error from the server as the page shows it: the message, and each field's reason.
fn error_view(e: &ApiError, lang: domain::Lang) -> AnyView {
    match e {
        ApiError::Server { body, .. } => view! {
            <div class="notice error" role="alert">
                <p>{body.message.clone()}</p>
                <ul>{body.fields.iter().filter(|f| f.message != body.message).map(|f| view! { <li>{f.message.clone()}</li> }).collect_view()}</ul>
            </div>
        }
        .into_any(),
        other => view! { <p class="notice error" role="alert">{other.message(lang)}</p> }.into_any(),
    }
}

#[component]
pub fn People() -> impl IntoView {
    let state = use_app();
    let changed = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        changed.track();
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            let users = api::users(&token, lang).await?;
            let wards = api::wards(&token, lang).await?;
            Ok::<_, ApiError>((users, wards))
        }
    });
    let editing = RwSignal::new(None::<Option<UserView>>);
    // What the last reorganisation did: kept here, above the list that reloads after it, so the
    // administrator still reads it once the wards are shown again.
    let reorganised = RwSignal::new(None::<String>);
    let refresh = Callback::new(move |_| {
        editing.set(None);
        changed.update(|n| *n += 1);
    });
    view! {
        <div class="people">
            <h1>{state.tr(Msg::People)}</h1>
            <Transition fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
                {move || data.get().map(|res| match res {
                    Err(e) => error_view(&e, state.lang.get_untracked()),
                    Ok((users, wards)) => {
                        let wards = StoredValue::new(wards);
                        view! {
                            <button class="btn primary" data-testid="add-user" on:click=move |_| editing.set(Some(None))>
                                {state.tr(Msg::AddUser)}
                            </button>
                            {move || editing.get().map(|user| view! { <UserForm user wards=wards.get_value() done=refresh/> })}
                            <table class="table" data-testid="users">
                                <thead><tr>
                                    <th>{state.t(Msg::Username)}</th>
                                    <th>{state.t(Msg::DisplayName)}</th>
                                    <th>{state.t(Msg::Role)}</th>
                                    <th>{state.t(Msg::Place)}</th>
                                    <th>{state.t(Msg::Devices)}</th>
                                    <th></th>
                                </tr></thead>
                                <tbody>
                                    {users.into_iter().map(|u| {
                                        let place = u.group.as_ref().or(u.ward.as_ref()).map(|p| p.name.clone()).unwrap_or_default();
                                        let edit_user = u.clone();
                                        view! {
                                            <tr data-username=u.username.clone() class:inactive=!u.active>
                                                <td>{u.username.clone()}</td>
                                                <td>{u.display_name.clone()}</td>
                                                <td>{state.t(role_label(u.role))}</td>
                                                <td>{place}</td>
                                                <td>{u.sessions}</td>
                                                <td>
                                                    {(!u.active).then(|| view! { <span class="badge">{state.t(Msg::Deactivated)}</span> " " })}
                                                    <button class="btn small" on:click=move |_| editing.set(Some(Some(edit_user.clone())))>{state.t(Msg::Edit)}</button>
                                                    <UserActions id=u.id done=refresh/>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Wards wards=wards.get_value() done=refresh/>
                            <Reorganise wards=wards.get_value() outcome=reorganised done=refresh/>
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

/// Reset a password and sign out every device.
#[component]
fn UserActions(id: i64, done: Callback<()>) -> impl IntoView {
    let state = use_app();
    let error = RwSignal::new(None::<ApiError>);
    let reset = move |_| {
        let Some(pw) = web_sys::window().and_then(|w| {
            w.prompt_with_message(state.t(Msg::NewPasswordPrompt))
                .ok()
                .flatten()
        }) else {
            return;
        };
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            match api::reset_password(&token, id, pw, lang).await {
                Ok(()) => {
                    let _ = done.try_run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let sign_out = move |_| {
        if !app::browser::confirm(state.t(Msg::ConfirmSignOutUser)) {
            return;
        }
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            match api::sign_out_user(&token, id, lang).await {
                Ok(()) => {
                    let _ = done.try_run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <button class="btn small" on:click=reset>{state.tr(Msg::ResetPassword)}</button>
        <button class="btn small" on:click=sign_out>{state.tr(Msg::SignOutEverywhere)}</button>
        {move || error.get().map(|e| error_view(&e, state.lang.get_untracked()))}
    }
}

/// Adds a user (`user` is None) or edits one.
#[component]
fn UserForm(user: Option<UserView>, wards: Vec<WardView>, done: Callback<()>) -> impl IntoView {
    let state = use_app();
    let creating = user.is_none();
    let id = user.as_ref().map(|u| u.id);
    let username = RwSignal::new(
        user.as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default(),
    );
    let name = RwSignal::new(
        user.as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
    );
    let role = RwSignal::new(user.as_ref().map_or(Role::GroupLeader, |u| u.role));
    // Provinces are named by their wards' city (a provincial user's own, whatever its wards).
    let mut provinces: Vec<(i64, String)> = wards
        .iter()
        .map(|w| (w.province_id, w.city.clone()))
        .chain(
            user.as_ref()
                .and_then(|u| u.province.clone())
                .map(|p| (p.id, p.name)),
        )
        .collect();
    provinces.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    provinces.dedup();
    let province = RwSignal::new(
        user.as_ref()
            .and_then(|u| u.province.as_ref().map(|p| p.id))
            .or(provinces.first().map(|p| p.0)),
    );
    // People are placed only in wards that still exist.
    let wards: Vec<WardView> = wards
        .into_iter()
        .filter(|w| w.closed_from.is_none())
        .collect();
    let ward = RwSignal::new(
        user.as_ref()
            .and_then(|u| u.ward.as_ref().map(|w| w.id))
            .or(wards.first().map(|w| w.id)),
    );
    let group = RwSignal::new(user.as_ref().and_then(|u| u.group.as_ref().map(|g| g.id)));
    let groups = RwSignal::new(
        user.as_ref()
            .map(|u| u.groups.iter().map(|g| g.id).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    let active = RwSignal::new(user.as_ref().is_none_or(|u| u.active));
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let wards = StoredValue::new(wards);
    let ward_groups = move || {
        wards.with_value(|ws| {
            ws.iter()
                .find(|w| Some(w.id) == ward.get())
                .map(|w| w.groups.clone())
                .unwrap_or_default()
        })
    };
    let save = Action::new_local(move |_: &()| {
        let input = UserInput {
            username: username.get_untracked(),
            display_name: name.get_untracked(),
            role: role.get_untracked(),
            ward_id: ward.get_untracked(),
            group_id: group.get_untracked(),
            province_id: (role.get_untracked() == Role::Provincial)
                .then(|| province.get_untracked())
                .flatten(),
            groups: Some(groups.get_untracked()),
            password: creating.then(|| password.get_untracked()),
            active: (!creating).then(|| active.get_untracked()),
        };
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            let result = match id {
                None => api::create_user(&token, &input, lang).await,
                Some(id) => api::update_user(&token, id, &input, lang).await,
            };
            match result {
                Ok(_) => {
                    let _ = done.try_run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        }
    });
    view! {
        <form class="card form" data-testid="user-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <h2>{move || if creating { state.t(Msg::AddUser) } else { state.t(Msg::EditUser) }}</h2>
            <div class="field">
                <label for="u-username">{state.tr(Msg::Username)}</label>
                <input id="u-username" autocomplete="off" disabled=!creating prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="u-name">{state.tr(Msg::DisplayName)}</label>
                <input id="u-name" autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="u-role">{state.tr(Msg::Role)}</label>
                <select id="u-role" on:change=move |ev| { if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) } }>
                    {Role::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=move || role.get() == r>{move || state.t(role_label(r))}</option>
                    }).collect_view()}
                </select>
            </div>
            <Show when=move || matches!(role.get(), Role::Supervisor | Role::Officer | Role::GroupLeader)>
                <div class="field">
                    <label for="u-ward">{state.tr(Msg::Ward)}</label>
                    <select id="u-ward" on:change=move |ev| { ward.set(event_target_value(&ev).parse().ok()); group.set(None); groups.set(Vec::new()); }>
                        {wards.get_value().into_iter().map(|w| view! {
                            <option value=w.id.to_string() selected=move || ward.get() == Some(w.id)>{w.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
            </Show>
            <Show when=move || role.get() == Role::Provincial>
                <div class="field">
                    <label for="u-province">{state.tr(Msg::City)}</label>
                    <select id="u-province" on:change=move |ev| province.set(event_target_value(&ev).parse().ok())>
                        {provinces.clone().into_iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=move || province.get() == Some(id)>{name}</option>
                        }).collect_view()}
                    </select>
                </div>
            </Show>
            <Show when=move || role.get() == Role::GroupLeader>
                <div class="field">
                    <label for="u-group">{state.tr(Msg::ResidentialGroup)}</label>
                    <select id="u-group" on:change=move |ev| group.set(event_target_value(&ev).parse().ok())>
                        <option value="">"—"</option>
                        {move || ward_groups().into_iter().map(|g| view! {
                            <option value=g.id.to_string() selected=move || group.get() == Some(g.id)>{g.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
            </Show>
            <Show when=move || role.get() == Role::Officer>
                <fieldset class="field">
                    <legend>{state.tr(Msg::ResponsibleGroups)}</legend>
                    {move || ward_groups().into_iter().map(|g| {
                        let gid = g.id;
                        view! {
                            <label class="choice">
                                <input type="checkbox" prop:checked=move || groups.with(|gs| gs.contains(&gid))
                                    on:change=move |ev| groups.update(|gs| { gs.retain(|x| *x != gid); if event_target_checked(&ev) { gs.push(gid) } })/>
                                <span>{g.name.clone()}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            </Show>
            {creating.then(|| view! {
                <div class="field">
                    <label for="u-password">{state.tr(Msg::Password)}</label>
                    <p class="hint">{state.tr(Msg::PasswordRule)}</p>
                    <input id="u-password" type="password" autocomplete="new-password" prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </div>
            })}
            {(!creating).then(|| view! {
                <label class="choice">
                    <input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev))/>
                    <span>{state.tr(Msg::Active)}</span>
                </label>
            })}
            {move || error.get().map(|e| error_view(&e, state.lang.get_untracked()))}
            <button class="btn primary" type="submit" disabled=move || save.pending().get()>{state.tr(Msg::Save)}</button>
            <button class="btn ghost" type="button" on:click=move |_| done.run(())>{state.tr(Msg::Cancel)}</button>
        </form>
    }
}

/// Wards and their residential groups, with forms to add both.
#[component]
fn Wards(wards: Vec<WardView>, done: Callback<()>) -> impl IntoView {
    let state = use_app();
    let error = RwSignal::new(None::<ApiError>);
    let (name, district, city) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let kind = RwSignal::new(WardKind::Ward);
    let add_ward = Action::new_local(move |_: &()| {
        let input = WardInput {
            name: name.get_untracked(),
            kind: kind.get_untracked(),
            district: district.get_untracked(),
            city: city.get_untracked(),
        };
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            match api::create_ward(&token, &input, lang).await {
                Ok(_) => {
                    let _ = done.try_run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        }
    });
    let add_group = move |ward: i64| {
        let Some(name) = web_sys::window().and_then(|w| {
            w.prompt_with_message(state.t(Msg::NewGroupPrompt))
                .ok()
                .flatten()
        }) else {
            return;
        };
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            match api::create_group(&token, ward, name, lang).await {
                Ok(_) => {
                    let _ = done.try_run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let prompt = move |msg: Msg, current: &str| {
        web_sys::window()
            .and_then(|w| {
                w.prompt_with_message_and_default(state.t(msg), current)
                    .ok()
                    .flatten()
            })
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty() && s != current)
    };
    let rename_ward = move |w: WardView| {
        let Some(name) = prompt(Msg::WardName, &w.name) else {
            return;
        };
        let input = WardInput {
            name,
            kind: w.kind,
            district: w.district,
            city: w.city,
        };
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            match api::update_ward(&token, w.id, &input, lang).await {
                Ok(()) => {
                    let _ = done.try_run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let rename_group = move |id: i64, current: String| {
        let Some(name) = prompt(Msg::NewGroupPrompt, &current) else {
            return;
        };
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            match api::rename_group(&token, id, name, lang).await {
                Ok(_) => {
                    let _ = done.try_run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <h2>{state.tr(Msg::Wards)}</h2>
        <ul class="list wards" data-testid="wards">
            {wards.into_iter().map(|w| {
                let id = w.id;
                let ward = w.clone();
                view! {
                    <li>
                        <strong>{w.name.clone()}</strong>" — "
                        {(!w.district.is_empty()).then(|| format!("{}, ", w.district))}{w.city.clone()}
                        {w.closed_from.map(|at| view! {
                            <span class="badge">{move || crate::text::DeskMsg::ClosedSince.text(state.lang.get_untracked())}" "{domain::calendar::LocalTime::at(at).date.dmy()}</span>
                        })}
                        <button class="btn small ghost" on:click=move |_| rename_ward(ward.clone())>{state.tr(Msg::Rename)}</button>
                        <ul class="groups">
                            {w.groups.iter().map(|g| {
                                let (gid, gname) = (g.id, g.name.clone());
                                view! {
                                    <li>{g.name.clone()}" "
                                        <button class="btn small ghost" on:click=move |_| rename_group(gid, gname.clone())>{state.tr(Msg::Rename)}</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <button class="btn small" on:click=move |_| add_group(id)>{state.tr(Msg::AddGroup)}</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form class="card form" on:submit=move |ev| { ev.prevent_default(); add_ward.dispatch(()); }>
            <h3>{state.tr(Msg::AddWard)}</h3>
            <div class="field"><label for="w-name">{state.tr(Msg::WardName)}</label>
                <input id="w-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></div>
            <div class="field"><label for="w-kind">{crate::text::dt(crate::text::DeskMsg::WardKindLabel)}</label>
                <select id="w-kind" on:change=move |ev| kind.set(WardKind::parse(&event_target_value(&ev)).unwrap_or_default())>
                    <option value="ward" selected=move || kind.get() == WardKind::Ward>{crate::text::dt(crate::text::DeskMsg::KindWard)}</option>
                    <option value="commune" selected=move || kind.get() == WardKind::Commune>{crate::text::dt(crate::text::DeskMsg::KindCommune)}</option>
                </select></div>
            <div class="field"><label for="w-district">{state.tr(Msg::District)}</label>
                <input id="w-district" prop:value=move || district.get() on:input=move |ev| district.set(event_target_value(&ev))/></div>
            <div class="field"><label for="w-city">{state.tr(Msg::City)}</label>
                <input id="w-city" prop:value=move || city.get() on:input=move |ev| city.set(event_target_value(&ev))/></div>
            <button class="btn primary" type="submit">{state.tr(Msg::AddWard)}</button>
        </form>
        {move || error.get().map(|e| error_view(&e, state.lang.get_untracked()))}
    }
}

/// Moves residential groups, merges and splits wards, from a date: every group of every ward
/// that exists, each with where it goes (or stays), and the wards that close with where their
/// staff go. The server refuses the whole of it if any part is wrong. `outcome` outlives this form,
/// which is drawn afresh when `done` reloads the wards.
#[component]
fn Reorganise(
    wards: Vec<WardView>,
    outcome: RwSignal<Option<String>>,
    done: Callback<()>,
) -> impl IntoView {
    let state = use_app();
    let open: Vec<WardView> = wards
        .into_iter()
        .filter(|w| w.closed_from.is_none())
        .collect();
    let targets = StoredValue::new(
        open.iter()
            .map(|w| (w.id, w.name.clone()))
            .collect::<Vec<_>>(),
    );
    let effective = RwSignal::new(String::new());
    // group id → ward id it moves to
    let moves = RwSignal::new(std::collections::BTreeMap::<i64, i64>::new());
    // ward id → staff go to (None: where most groups went)
    let closing = RwSignal::new(std::collections::BTreeMap::<i64, Option<i64>>::new());
    let error = RwSignal::new(None::<ApiError>);
    let apply = Action::new_local(move |_: &()| {
        let input = ReorganisationInput {
            effective: effective.get_untracked(),
            moves: moves
                .get_untracked()
                .into_iter()
                .map(|(group_id, ward_id)| GroupMove { group_id, ward_id })
                .collect(),
            close: closing
                .get_untracked()
                .into_iter()
                .map(|(ward_id, staff_to)| WardClosure { ward_id, staff_to })
                .collect(),
        };
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            match api::reorganise(&token, &input, lang).await {
                Ok(d) => {
                    error.set(None);
                    outcome.set(Some(format!(
                        "{}: {} · {} · {} · {}",
                        crate::text::DeskMsg::Reorganised.text(state.lang.get_untracked()),
                        d.groups_moved,
                        d.people_moved,
                        d.records_moved,
                        d.wards_closed.len()
                    )));
                    moves.set(Default::default());
                    closing.set(Default::default());
                    let _ = done.try_run(());
                }
                Err(e) => {
                    outcome.set(None);
                    let _ = error.try_set(Some(e));
                }
            }
        }
    });
    view! {
        <form class="card form reorganise" data-testid="reorganise" on:submit=move |ev| { ev.prevent_default(); apply.dispatch(()); }>
            <h3>{crate::text::dt(crate::text::DeskMsg::Reorganise)}</h3>
            <p class="hint">{crate::text::dt(crate::text::DeskMsg::ReorganiseHint)}</p>
            <div class="field">
                <label for="r-effective">{crate::text::dt(crate::text::DeskMsg::EffectiveDate)}</label>
                <input id="r-effective" inputmode="numeric" placeholder="01/07/2025" prop:value=move || effective.get()
                    on:input=move |ev| effective.set(event_target_value(&ev))/>
            </div>
            {open.into_iter().map(|w| {
                let wid = w.id;
                let ward_name = w.name.clone();
                view! {
                    <fieldset class="ward-moves" data-ward=ward_name.clone()>
                        <legend>{ward_name.clone()}</legend>
                        {w.groups.into_iter().map(|g| {
                            let gid = g.id;
                            let label = format!("{} — {}", g.name, crate::text::DeskMsg::MoveTo.text(state.lang.get_untracked()));
                            view! {
                                <label class="move">
                                    <span>{label}</span>
                                    <select on:change=move |ev| {
                                        let v: Option<i64> = event_target_value(&ev).parse().ok();
                                        moves.update(|m| { match v { Some(to) => { m.insert(gid, to); } None => { m.remove(&gid); } } });
                                    }>
                                        <option value="" selected=move || !moves.with(|m| m.contains_key(&gid))>{move || crate::text::DeskMsg::Stays.text(state.lang.get_untracked())}</option>
                                        {targets.get_value().into_iter().filter(|(id, _)| *id != wid).map(|(id, name)| view! {
                                            <option value=id.to_string() selected=move || moves.with(|m| m.get(&gid) == Some(&id))>{name}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            }
                        }).collect_view()}
                        <label class="choice">
                            <input type="checkbox" prop:checked=move || closing.with(|c| c.contains_key(&wid))
                                on:change=move |ev| closing.update(|c| { if event_target_checked(&ev) { c.insert(wid, None); } else { c.remove(&wid); } })/>
                            <span>{crate::text::dt(crate::text::DeskMsg::CloseWard)}</span>
                        </label>
                        <Show when=move || closing.with(|c| c.contains_key(&wid))>
                            <label class="move">
                                <span>{crate::text::dt(crate::text::DeskMsg::StaffTo)}</span>
                                <select on:change=move |ev| {
                                    let v: Option<i64> = event_target_value(&ev).parse().ok();
                                    closing.update(|c| { c.insert(wid, v); });
                                }>
                                    <option value="">{move || crate::text::DeskMsg::ByMostGroups.text(state.lang.get_untracked())}</option>
                                    {targets.get_value().into_iter().filter(|(id, _)| *id != wid).map(|(id, name)| view! {
                                        <option value=id.to_string()>{name}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                        </Show>
                    </fieldset>
                }
            }).collect_view()}
            {move || error.get().map(|e| error_view(&e, state.lang.get_untracked()))}
            {move || outcome.get().map(|o| view! { <p class="notice" role="status" data-testid="reorganised">{o}</p> })}
            <button class="btn primary" type="submit" disabled=move || apply.pending().get()>{crate::text::dt(crate::text::DeskMsg::ApplyChanges)}</button>
        </form>
    }
}
