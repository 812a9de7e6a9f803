//! The `wardbook` command line. With no subcommand it runs the server, exactly as it always has;
//! `wardbook form publish FILE` and `wardbook form list` manage form definitions through the
//! same code as `POST /api/forms` and `GET /api/forms` ([`crate::forms`]).
//!
//! The commands answer in the language of the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`):
//! Vietnamese for `vi…`, English otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use domain::Lang;

use crate::config::Config;
use crate::forms::{self, PublishError};
use crate::Db;
use domain::admin::{GroupMove, ReorganisationInput, WardClosure};

#[derive(Debug, clap::Parser)]
#[command(
    name = "wardbook",
    version,
    about = "Wardbook: the ward police field notebook server",
    long_about = "Wardbook: the ward police field notebook server.\n\n\
        With no command, runs the server. The options below apply to every command."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Form definitions: publish a new version, list the published ones.
    #[command(subcommand)]
    Form(FormCommand),
    /// Users: add, list, set a password, deactivate, sign out every device.
    #[command(subcommand)]
    User(UserCommand),
    /// Wards and their residential groups.
    #[command(subcommand)]
    Ward(WardCommand),
    /// Photos: remove abandoned uploads and photos no record names.
    #[command(subcommand)]
    Photos(PhotosCommand),
    /// The database itself.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum DbCommand {
    /// Run after restoring the database from a backup: gives it a new identity, so every phone
    /// pulls its view again and pushes back what it holds but the backup lacks. (The server
    /// notices most restores by itself at start; this covers the rest.)
    Restored,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum PhotosCommand {
    /// Remove unfinished uploads untouched for --upload-expiry-hours and photos that no record
    /// names, stored more than --unnamed-photo-hours ago (the server also does this every hour).
    /// A photo any record needs is never removed.
    Sweep,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user. Without --password-stdin a password is made up and printed once.
    Add {
        username: String,
        /// The name people see, e.g. "Nguyễn Văn An".
        #[arg(long)]
        name: String,
        /// admin, provincial, supervisor, officer or group_leader.
        #[arg(long)]
        role: String,
        /// The ward (id) of a supervisor or officer.
        #[arg(long)]
        ward: Option<i64>,
        /// The residential group (id) of a group leader.
        #[arg(long)]
        group: Option<i64>,
        /// The province (id, see `wardbook ward list`) of a provincial user.
        #[arg(long)]
        province: Option<i64>,
        /// An officer's residential groups (ids, comma-separated); none for the whole ward.
        #[arg(long, value_delimiter = ',')]
        groups: Vec<i64>,
        /// Read the password from standard input instead of making one up.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every user with their role, place and state.
    List,
    /// Set a new password (made up and printed, or --password-stdin) and sign out every device.
    Password {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Deactivate a user and sign out every device; what they sent stays.
    Deactivate { username: String },
    /// Sign out every device of a user (a lost phone).
    Signout { username: String },
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum WardCommand {
    /// Add a ward (phường) or, with --commune, a commune (xã).
    Add {
        name: String,
        /// The former district, if any (there are none since 1 July 2025).
        #[arg(long, default_value = "")]
        district: String,
        /// The province or centrally-run city, e.g. "Hà Nội".
        #[arg(long)]
        city: String,
        #[arg(long)]
        commune: bool,
    },
    /// Merge wards into another (create it first with `ward add`), from a date: their groups,
    /// group leaders and staff move into it and they close. Records keep the ward they were
    /// filed in.
    Merge {
        /// The ids of the wards that merge.
        #[arg(required = true, value_delimiter = ',')]
        wards: Vec<i64>,
        /// The ward they merge into.
        #[arg(long)]
        into: i64,
        /// The first day of the merged ward, dd/mm/yyyy.
        #[arg(long)]
        effective: String,
    },
    /// Split a ward, from a date: every group goes to the ward named for it (`--move
    /// GROUP=WARD`, once per group), the ward closes and its staff go to --staff-to (by default
    /// the ward that took most of its groups).
    Split {
        /// The id of the ward that splits.
        ward: i64,
        /// GROUP=WARD: a group of the ward and the ward it goes to; once per group.
        #[arg(long = "move", required = true, value_parser = group_to_ward)]
        moves: Vec<(i64, i64)>,
        /// Where the ward's supervisors and officers go.
        #[arg(long)]
        staff_to: Option<i64>,
        /// The first day of the new wards, dd/mm/yyyy.
        #[arg(long)]
        effective: String,
    },
    /// Move residential groups to another ward from a date, with their group leaders; the
    /// ward they leave stays.
    MoveGroups {
        /// Group ids, comma-separated.
        #[arg(required = true, value_delimiter = ',')]
        groups: Vec<i64>,
        /// The ward they join.
        #[arg(long)]
        to: i64,
        /// The first day in the new ward, dd/mm/yyyy.
        #[arg(long)]
        effective: String,
    },
    /// Add a residential group to a ward.
    AddGroup {
        /// The ward's id (see `wardbook ward list`).
        ward: i64,
        name: String,
    },
    /// List wards with their ids and residential groups.
    List,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum FormCommand {
    /// Publish a definition file (JSON) as the next version of its form.
    ///
    /// The server gives the version: the latest version of the form's key plus one, or 1 for a
    /// new key; a "version" written in the file is ignored. When the file says the same as the
    /// latest version, nothing is stored and the command says so, so running it twice is
    /// harmless. A refused file prints where and what is wrong, and the command exits with 1.
    Publish {
        /// The definition file.
        file: PathBuf,
    },
    /// List every published form with its versions, newest first.
    List,
}

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        let app = crate::Application::build(cli.config).await?;
        app.run_until_stopped().await?;
        return Ok(ExitCode::SUCCESS);
    };
    let lang = lang_from_env();
    let db = open(&cli.config.database_url).await?;
    let result = match &command {
        Command::Form(FormCommand::Publish { file }) => form_publish(&db, file, lang).await,
        Command::Form(FormCommand::List) => {
            form_list(&db, lang).await.map_err(|e| format!("{e:#}"))
        }
        Command::User(c) => {
            let work = crate::error::in_language(lang, user_command(&db, c, lang));
            crate::db::from_source(cli_source(), work).await
        }
        Command::Ward(c) => {
            let work = crate::error::in_language(lang, ward_command(&db, c, lang));
            crate::db::from_source(cli_source(), work).await
        }
        Command::Photos(PhotosCommand::Sweep) => photos_sweep(&db, &cli.config, lang).await,
        Command::Db(DbCommand::Restored) => crate::epoch::renew(&db)
            .await
            .map(|e| match lang {
                Lang::Vi => {
                    format!("cơ sở dữ liệu có định danh mới {e}; các máy sẽ đồng bộ lại từ đầu")
                }
                Lang::En => format!(
                    "the database has a new identity {e}; phones will sync again from the start"
                ),
            })
            .map_err(|e| format!("{e:#}")),
    };
    db.close().await;
    Ok(match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    })
}

async fn photos_sweep(db: &Db, config: &Config, lang: Lang) -> Result<String, String> {
    let store =
        crate::photos::PhotoStore::open(&config.photo_store).map_err(|e| format!("{e:#}"))?;
    let s = crate::photos::sweep(
        db,
        &store,
        config.upload_expiry_hours,
        config.unnamed_photo_hours,
    )
    .await
    .map_err(|e| format!("{e:#}"))?;
    Ok(match lang {
        Lang::Vi => format!(
            "đã xoá {} lượt tải ảnh dở dang, {} mảnh thừa, {} ảnh không hồ sơ nào dùng",
            s.uploads, s.stray_chunks, s.photos
        ),
        Lang::En => format!(
            "removed {} abandoned uploads, {} stray chunks, {} photos no record names",
            s.uploads, s.stray_chunks, s.photos
        ),
    })
}

/// The database as the server would find it: migrated, with the built-in forms published.
/// Publishing the built-ins first means a command run before the server ever started gives the
/// same versions as one run after.
pub async fn open(database_url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(database_url).await?;
    db.migrate().await?;
    db.publish_builtin_forms().await?;
    Ok(db)
}

/// `wardbook form publish FILE`: the line to print, or the error to print (exit code 1).
pub async fn form_publish(db: &Db, file: &Path, lang: Lang) -> Result<String, String> {
    let vi = lang == Lang::Vi;
    let shown = file.display();
    let bytes = std::fs::read(file).map_err(|e| {
        if vi {
            format!("không đọc được {shown}: {e}")
        } else {
            format!("cannot read {shown}: {e}")
        }
    })?;
    match forms::publish(db, &bytes, None, "command line").await {
        Ok(p) if p.unchanged && vi => Ok(format!(
            "không đổi: {} đã là phiên bản {}",
            p.key, p.version
        )),
        Ok(p) if p.unchanged => Ok(format!(
            "unchanged: {} is already version {}",
            p.key, p.version
        )),
        Ok(p) if vi => Ok(format!("đã xuất bản {} phiên bản {}", p.key, p.version)),
        Ok(p) => Ok(format!("published {} version {}", p.key, p.version)),
        Err(PublishError::Invalid(e)) => Err(format!("{shown}: {}", e.message(lang))),
        Err(PublishError::Internal(e)) if vi => Err(format!("không xuất bản được {shown}: {e:#}")),
        Err(PublishError::Internal(e)) => Err(format!("cannot publish {shown}: {e:#}")),
    }
}

/// `wardbook form list`: every form, its title and its versions with their publication time in
/// Vietnam (UTC+7).
pub async fn form_list(db: &Db, lang: Lang) -> anyhow::Result<String> {
    let forms = forms::list(db).await?;
    if forms.is_empty() {
        return Ok(match lang {
            Lang::Vi => "chưa có biểu mẫu nào".into(),
            Lang::En => "no forms published".into(),
        });
    }
    let mut out = Vec::new();
    for form in forms {
        out.push(format!("{} — {}", form.key, form.title.get(lang)));
        for v in form.versions {
            let when = vietnam_time(v.published_at);
            out.push(match lang {
                Lang::Vi => format!("  phiên bản {}  xuất bản {when}", v.version),
                Lang::En => format!("  version {}  published {when}", v.version),
            });
        }
    }
    Ok(out.join("\n"))
}

/// How the audit trail names a change made on the command line: `command line: user@host`.
pub fn cli_source() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "?".into());
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    format!("command line: {user}@{}", host.trim())
}

/// An error as the command line prints it: the message and each field's reason.
fn shown(e: crate::error::AppError, lang: Lang) -> String {
    let body = e.body(lang);
    let mut out = body.message;
    for f in body.fields {
        if !out.contains(&f.message) {
            out.push_str(&format!("\n  {}: {}", f.field, f.message));
        }
    }
    out
}

/// A password for the command line to hand out: 4 groups of 4 easy-to-read characters.
fn made_up_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn read_password_stdin() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn role_arg(role: &str, lang: Lang) -> Result<domain::api::Role, String> {
    domain::api::Role::parse(role).ok_or_else(|| match lang {
        Lang::Vi => format!("không có vai trò «{role}» (admin, supervisor, officer, group_leader)"),
        Lang::En => format!("there is no role “{role}” (admin, supervisor, officer, group_leader)"),
    })
}

/// `wardbook user ...`, through the same code as the administration API.
pub async fn user_command(db: &Db, command: &UserCommand, lang: Lang) -> Result<String, String> {
    use crate::people;
    let vi = lang == Lang::Vi;
    let password = |from_stdin: bool| -> Result<(String, bool), String> {
        if from_stdin {
            read_password_stdin().map(|p| (p, false))
        } else {
            Ok((made_up_password(), true))
        }
    };
    match command {
        UserCommand::Add {
            username,
            name,
            role,
            ward,
            group,
            province,
            groups,
            password_stdin,
        } => {
            let (pw, made_up) = password(*password_stdin)?;
            let input = domain::admin::UserInput {
                username: username.clone(),
                display_name: name.clone(),
                role: role_arg(role, lang)?,
                ward_id: *ward,
                group_id: *group,
                province_id: *province,
                groups: Some(groups.clone()),
                password: Some(pw.clone()),
                active: None,
            };
            let u = people::create_user(db, None, input)
                .await
                .map_err(|e| shown(e, lang))?;
            let mut out = if vi {
                format!("đã thêm {} ({}), mã {}", u.username, u.display_name, u.id)
            } else {
                format!("added {} ({}), id {}", u.username, u.display_name, u.id)
            };
            if made_up {
                out.push_str(&if vi {
                    format!("\nmật khẩu: {pw}")
                } else {
                    format!("\npassword: {pw}")
                });
            }
            Ok(out)
        }
        UserCommand::List => {
            let users = people::users(db).await.map_err(|e| shown(e, lang))?;
            Ok(users
                .iter()
                .map(|u| {
                    let place = u
                        .group
                        .as_ref()
                        .or(u.ward.as_ref())
                        .map(|p| p.name.clone())
                        .unwrap_or_default();
                    let state = match (u.active, vi) {
                        (true, _) => "",
                        (false, true) => " [đã khóa]",
                        (false, false) => " [deactivated]",
                    };
                    format!(
                        "{:>4}  {:<16} {:<13} {:<24} {}{state}",
                        u.id,
                        u.username,
                        u.role.as_str(),
                        place,
                        u.display_name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        UserCommand::Password {
            username,
            password_stdin,
        } => {
            let id = people::user_id_by_name(db, username)
                .await
                .map_err(|e| shown(e, lang))?;
            let (pw, made_up) = password(*password_stdin)?;
            people::reset_password(db, None, id, pw.clone())
                .await
                .map_err(|e| shown(e, lang))?;
            let mut out = if vi {
                format!("đã đặt mật khẩu mới cho {username}; mọi thiết bị đã bị đăng xuất")
            } else {
                format!("new password set for {username}; every device is signed out")
            };
            if made_up {
                out.push_str(&if vi {
                    format!("\nmật khẩu: {pw}")
                } else {
                    format!("\npassword: {pw}")
                });
            }
            Ok(out)
        }
        UserCommand::Deactivate { username } => {
            let id = people::user_id_by_name(db, username)
                .await
                .map_err(|e| shown(e, lang))?;
            let mut conn = db.pool.acquire().await.map_err(|e| e.to_string())?;
            let u = people::user(&mut conn, id)
                .await
                .map_err(|e| shown(e, lang))?;
            drop(conn);
            let input = domain::admin::UserInput {
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                role: u.role,
                ward_id: u.ward.as_ref().map(|w| w.id),
                group_id: u.group.as_ref().map(|g| g.id),
                province_id: u.province.as_ref().map(|p| p.id),
                groups: None,
                password: None,
                active: Some(false),
            };
            people::update_user(db, None, id, input)
                .await
                .map_err(|e| shown(e, lang))?;
            Ok(if vi {
                format!("đã khóa {username} và đăng xuất mọi thiết bị")
            } else {
                format!("{username} is deactivated and every device signed out")
            })
        }
        UserCommand::Signout { username } => {
            let id = people::user_id_by_name(db, username)
                .await
                .map_err(|e| shown(e, lang))?;
            let n = people::sign_out_everywhere(db, None, id)
                .await
                .map_err(|e| shown(e, lang))?;
            Ok(if vi {
                format!("đã đăng xuất {n} thiết bị của {username}")
            } else {
                format!("signed out {n} device(s) of {username}")
            })
        }
    }
}

/// `wardbook ward ...`.
pub async fn ward_command(db: &Db, command: &WardCommand, lang: Lang) -> Result<String, String> {
    use crate::people;
    let vi = lang == Lang::Vi;
    match command {
        WardCommand::Merge {
            wards,
            into,
            effective,
        } => {
            let all = people::wards(db).await.map_err(|e| shown(e, lang))?;
            let moves = all
                .iter()
                .filter(|w| wards.contains(&w.id))
                .flat_map(|w| &w.groups)
                .map(|g| GroupMove {
                    group_id: g.id,
                    ward_id: *into,
                })
                .collect();
            let close = wards
                .iter()
                .map(|&ward_id| WardClosure {
                    ward_id,
                    staff_to: Some(*into),
                })
                .collect();
            reorganise(db, effective, moves, close, lang).await
        }
        WardCommand::Split {
            ward,
            moves,
            staff_to,
            effective,
        } => {
            let moves = moves
                .iter()
                .map(|&(group_id, ward_id)| GroupMove { group_id, ward_id })
                .collect();
            let close = vec![WardClosure {
                ward_id: *ward,
                staff_to: *staff_to,
            }];
            reorganise(db, effective, moves, close, lang).await
        }
        WardCommand::MoveGroups {
            groups,
            to,
            effective,
        } => {
            let moves = groups
                .iter()
                .map(|&group_id| GroupMove {
                    group_id,
                    ward_id: *to,
                })
                .collect();
            reorganise(db, effective, moves, Vec::new(), lang).await
        }
        WardCommand::Add {
            name,
            district,
            city,
            commune,
        } => {
            let input = domain::admin::WardInput {
                name: name.clone(),
                kind: if *commune {
                    domain::admin::WardKind::Commune
                } else {
                    domain::admin::WardKind::Ward
                },
                district: district.clone(),
                city: city.clone(),
            };
            let w = people::create_ward(db, None, input)
                .await
                .map_err(|e| shown(e, lang))?;
            Ok(if vi {
                format!("đã thêm phường {} (mã {})", w.name, w.id)
            } else {
                format!("added ward {} (id {})", w.name, w.id)
            })
        }
        WardCommand::AddGroup { ward, name } => {
            let g = people::create_group(db, None, *ward, name)
                .await
                .map_err(|e| shown(e, lang))?;
            Ok(if vi {
                format!("đã thêm {} (mã {})", g.name, g.id)
            } else {
                format!("added {} (id {})", g.name, g.id)
            })
        }
        WardCommand::List => {
            let wards = people::wards(db).await.map_err(|e| shown(e, lang))?;
            let mut out = Vec::new();
            for w in wards {
                let closed = w.closed_from.map_or(String::new(), |at| {
                    format!(
                        " (closed from {})",
                        domain::calendar::LocalTime::at(at).date.dmy()
                    )
                });
                out.push(format!(
                    "{:>4}  {} — {}{}{closed}",
                    w.id,
                    w.name,
                    if w.district.is_empty() {
                        String::new()
                    } else {
                        format!("{}, ", w.district)
                    },
                    w.city
                ));
                for g in w.groups {
                    out.push(format!("        {:>4}  {}", g.id, g.name));
                }
            }
            Ok(out.join("\n"))
        }
    }
}

/// `GROUP=WARD`, two ids.
fn group_to_ward(s: &str) -> Result<(i64, i64), String> {
    let (g, w) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: write GROUP=WARD, e.g. 12=40"))?;
    Ok((
        g.trim()
            .parse()
            .map_err(|_| format!("{g:?} is not a group id"))?,
        w.trim()
            .parse()
            .map_err(|_| format!("{w:?} is not a ward id"))?,
    ))
}

async fn reorganise(
    db: &Db,
    effective: &str,
    moves: Vec<GroupMove>,
    close: Vec<WardClosure>,
    lang: Lang,
) -> Result<String, String> {
    let input = ReorganisationInput {
        effective: effective.to_owned(),
        moves,
        close,
    };
    let done = crate::reorganise::reorganise(db, None, &input, crate::now_ms())
        .await
        .map_err(|e| shown(e, lang))?;
    let mut out = vec![if lang == Lang::Vi {
        format!(
            "từ {}: {} tổ dân phố đã chuyển, {} người chuyển theo, {} hồ sơ nay thuộc phường / xã mới; giải thể: {:?}",
            effective, done.groups_moved, done.people_moved, done.records_moved, done.wards_closed
        )
    } else {
        format!(
            "from {}: {} groups moved, {} people with them, {} records now answer to their new ward; closed: {:?}",
            effective, done.groups_moved, done.people_moved, done.records_moved, done.wards_closed
        )
    }];
    for (id, name) in done.renamed {
        out.push(if lang == Lang::Vi {
            format!("  tổ {id} đổi tên thành {name}")
        } else {
            format!("  group {id} renamed {name}")
        });
    }
    Ok(out.join("\n"))
}

/// The command line's language, from the locale variables; English unless they say Vietnamese.
pub fn lang_from_env() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .and_then(|v| Lang::from_code(&v))
        .unwrap_or(Lang::En)
}

/// `2026-11-25 21:30 (UTC+7)` for milliseconds since the Unix epoch. Vietnam keeps no daylight
/// saving time, so a fixed offset is exact.
fn vietnam_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 7 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} (UTC+7)",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn with_no_command_the_flags_configure_the_server_as_before() {
        let cli = Cli::try_parse_from([
            "wardbook",
            "--listen",
            "127.0.0.1:9999",
            "--database-url",
            "sqlite://x/y.db",
            "--static-dir",
            "/tmp/static",
            "--demo",
        ])
        .unwrap();
        assert_eq!(cli.command, None);
        assert_eq!(cli.config.listen, "127.0.0.1:9999");
        assert_eq!(cli.config.database_url, "sqlite://x/y.db");
        assert_eq!(cli.config.static_dir, PathBuf::from("/tmp/static"));
        assert!(cli.config.demo);
    }

    #[test]
    fn the_form_commands_take_the_global_flags_before_or_after_them() {
        let after = Cli::try_parse_from([
            "wardbook",
            "form",
            "publish",
            "forms/new.json",
            "--database-url",
            "postgres://db/wardbook",
        ])
        .unwrap();
        assert_eq!(
            after.command,
            Some(Command::Form(FormCommand::Publish {
                file: PathBuf::from("forms/new.json")
            }))
        );
        assert_eq!(after.config.database_url, "postgres://db/wardbook");

        let before = Cli::try_parse_from([
            "wardbook",
            "--database-url",
            "sqlite://a.db",
            "form",
            "list",
        ])
        .unwrap();
        assert_eq!(before.command, Some(Command::Form(FormCommand::List)));
        assert_eq!(before.config.database_url, "sqlite://a.db");

        assert!(Cli::try_parse_from(["wardbook", "form", "publish"]).is_err());
        assert!(Cli::try_parse_from(["wardbook", "form", "remove", "x"]).is_err());
    }

    #[test]
    fn publication_times_are_shown_in_vietnam_time() {
        assert_eq!(vietnam_time(0), "1970-01-01 07:00 (UTC+7)");
        // 2026-11-25T14:30:00Z
        assert_eq!(vietnam_time(1_795_617_000_000), "2026-11-25 21:30 (UTC+7)");
        // 2024-02-29T20:00:00Z is already 1 March in Hà Nội.
        assert_eq!(vietnam_time(1_709_236_800_000), "2024-03-01 03:00 (UTC+7)");
    }
}
