//! Review: who may move a record from one state to another, and why not.
//!
//! One state machine, here, for the server (which enforces it) and both front ends (which show
//! only what it allows):
//!
//! ```text
//!                 approve                start_handling (reports)      resolve + reply (reports)
//!   received ─────────────▶ approved ─────────────────────▶ in_progress ─────────────────▶ resolved
//!     │  ▲                     │                                 │                            ▲
//!     │  │ resubmit (author)   └────────── resolve + reply (reports) ────────────────────────┘
//!     │  │                                                       │
//!     ▼  │       return + comment (from received or in_progress) │
//!   returned ◀───────────────────────────────────────────────────┘
//! ```
//!
//! Supervisors and officers review the records of their ward, never their own; group leaders and
//! administrators review nothing. Handling (being handled, resolved) is for neighborhood reports.

use serde::{Deserialize, Serialize};

use crate::lang::{Lang, Text};
use crate::record::RecordStatus;
use crate::role::Role;

/// The longest review comment or reply, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// What a reviewer does to a record.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Approve,
    /// Back to its author to be corrected; the comment says what to correct.
    Return,
    /// A neighborhood report is being dealt with.
    StartHandling,
    /// A neighborhood report is dealt with; the comment is the reply its reporter reads.
    Resolve,
}

impl ReviewAction {
    pub const ALL: [ReviewAction; 4] = [
        ReviewAction::Approve,
        ReviewAction::Return,
        ReviewAction::StartHandling,
        ReviewAction::Resolve,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Approve => "approve",
            ReviewAction::Return => "return",
            ReviewAction::StartHandling => "start_handling",
            ReviewAction::Resolve => "resolve",
        }
    }

    /// The button that does it.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ReviewAction::Approve, Lang::Vi) => "Duyệt",
            (ReviewAction::Approve, Lang::En) => "Approve",
            (ReviewAction::Return, Lang::Vi) => "Trả lại để sửa",
            (ReviewAction::Return, Lang::En) => "Return for correction",
            (ReviewAction::StartHandling, Lang::Vi) => "Bắt đầu xử lý",
            (ReviewAction::StartHandling, Lang::En) => "Start handling",
            (ReviewAction::Resolve, Lang::Vi) => "Đã giải quyết xong",
            (ReviewAction::Resolve, Lang::En) => "Mark resolved",
        }
    }

    /// The label of the comment box a reviewer writes in.
    pub fn comment_label(lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => {
                "Ghi chú cho người lập (bắt buộc khi trả lại; là câu trả lời khi giải quyết xong)"
            }
            Lang::En => "Note to the author (required to return; the reply when resolving)",
        }
    }

    /// Whether the action needs a comment: what to correct, or the reply to the reporter.
    pub fn needs_comment(self) -> bool {
        matches!(self, ReviewAction::Return | ReviewAction::Resolve)
    }

    /// The state the action leads to.
    pub fn target(self) -> RecordStatus {
        match self {
            ReviewAction::Approve => RecordStatus::Approved,
            ReviewAction::Return => RecordStatus::Returned,
            ReviewAction::StartHandling => RecordStatus::InProgress,
            ReviewAction::Resolve => RecordStatus::Resolved,
        }
    }

    /// The states the action may start from.
    fn sources(self) -> &'static [RecordStatus] {
        use RecordStatus::*;
        match self {
            ReviewAction::Approve => &[Received],
            ReviewAction::Return => &[Received, InProgress],
            ReviewAction::StartHandling => &[Received, Approved],
            ReviewAction::Resolve => &[Received, Approved, InProgress],
        }
    }

    /// Handling is for neighborhood reports only.
    fn reports_only(self) -> bool {
        matches!(self, ReviewAction::StartHandling | ReviewAction::Resolve)
    }
}

/// Who is acting, as far as the machine cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewer {
    pub role: Role,
    /// The reviewer wrote the record.
    pub is_author: bool,
}

/// The record being reviewed, as far as the machine cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed<'a> {
    pub status: RecordStatus,
    /// A neighborhood report (from a group leader), which also has handling.
    pub is_report: bool,
    /// The comment of the review that led to `status`, if any.
    pub note: Option<&'a str>,
}

/// What a permitted review does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// The record moves to `to`; `comment` (trimmed) goes with it.
    To {
        to: RecordStatus,
        comment: Option<String>,
    },
    /// The same action, with the same comment, already took the record where it is: a retried
    /// request or a second click. Nothing changes and nothing more is recorded.
    Already,
}

/// Why a review action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Group leaders and administrators review nothing.
    NotAReviewer,
    /// Nobody reviews a record they wrote.
    OwnRecord,
    /// Handling applies to neighborhood reports only.
    NotAReport,
    /// The action does not apply to a record in this state (approving an approved record, say).
    WrongState {
        from: RecordStatus,
        action: ReviewAction,
    },
    /// Returning needs a comment, resolving a reply.
    CommentRequired(ReviewAction),
    CommentTooLong,
    /// A control character other than a line break.
    CommentUnreadable,
    /// Only its author resubmits a record, and only a returned one.
    NotResubmittable,
    /// A conflict was settled the other way already.
    AlreadySettled,
    /// The record changed after the reviewer looked at the conflict.
    ChangedMeanwhile,
    /// A conflicting copy that does not pass the record's form cannot become the record.
    CopyInvalid,
}

impl Refusal {
    /// What the user reads, in both languages (the compiler checks both are there).
    pub fn text(self) -> Text {
        match self {
            Refusal::NotAReviewer => Text::new(
                "Tài khoản này không duyệt hồ sơ.",
                "This account does not review records.",
            ),
            Refusal::OwnRecord => Text::new(
                "Không thể tự duyệt hồ sơ của chính mình.",
                "You cannot review a record you wrote yourself.",
            ),
            Refusal::NotAReport => Text::new(
                "Chỉ tin báo của tổ dân phố mới có bước xử lý.",
                "Only neighborhood reports are handled and resolved.",
            ),
            Refusal::WrongState { from, action } => {
                let (vi_action, en_action) = match action {
                    ReviewAction::Approve => ("duyệt", "approved"),
                    ReviewAction::Return => ("trả lại", "returned"),
                    ReviewAction::StartHandling => ("chuyển sang đang xử lý", "taken up"),
                    ReviewAction::Resolve => ("đánh dấu đã giải quyết", "resolved"),
                };
                Text::new(
                    format!(
                        "Hồ sơ đang ở trạng thái “{}” nên không thể {vi_action}.",
                        from.label(Lang::Vi)
                    ),
                    format!(
                        "A record that is “{}” cannot be {en_action}.",
                        from.label(Lang::En)
                    ),
                )
            }
            Refusal::CommentRequired(ReviewAction::Resolve) => Text::new(
                "Hãy viết câu trả lời cho người báo tin.",
                "Write a reply to the person who reported it.",
            ),
            Refusal::CommentRequired(_) => {
                Text::new("Hãy ghi rõ cần sửa gì.", "Say what needs to be corrected.")
            }
            Refusal::CommentTooLong => Text::new(
                format!("Ghi chú tối đa {MAX_COMMENT_CHARS} ký tự."),
                format!("The note may have at most {MAX_COMMENT_CHARS} characters."),
            ),
            Refusal::CommentUnreadable => Text::new(
                "Ghi chú có ký tự không hợp lệ.",
                "The note contains characters that are not allowed.",
            ),
            Refusal::NotResubmittable => Text::new(
                "Chỉ người lập mới gửi lại được hồ sơ bị trả lại.",
                "Only its author can resubmit a returned record.",
            ),
            Refusal::AlreadySettled => Text::new(
                "Xung đột này đã được giải quyết theo cách khác.",
                "This conflict was already settled the other way.",
            ),
            Refusal::ChangedMeanwhile => Text::new(
                "Hồ sơ đã thay đổi kể từ lúc bạn xem. Hãy xem lại bản mới rồi làm tiếp.",
                "The record changed since you looked at it. Look at the new version, then go on.",
            ),
            Refusal::CopyInvalid => Text::new(
                "Bản xung đột không hợp lệ với biểu mẫu của hồ sơ nên không thể dùng; hãy giữ bản hiện tại.",
                "The conflicting copy does not pass the record's form, so it cannot be used; keep the current revision.",
            ),
        }
    }

    pub fn message(self, lang: Lang) -> String {
        self.text().get(lang).to_owned()
    }
}

/// `POST /api/records/{id}/review`, and each record of a `POST /api/records/review`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    pub action: ReviewAction,
    /// What to correct (return), the reply to the reporter (resolve); optional otherwise. At
    /// most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The revision the reviewer saw (`RecordSummary::revision`). If the record has another
    /// one now (its author resubmitted meanwhile), the review is refused: nobody approves a
    /// version they did not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<uuid::Uuid>,
}

/// The most records one `POST /api/records/review` acts on.
pub const MAX_BULK_REVIEW: usize = 200;

/// `POST /api/records/review`: one action, with one comment, on many records (approving a
/// morning's reports at once). Each record is reviewed on its own: one refused never stops
/// the others.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReviewRequest {
    pub ids: Vec<uuid::Uuid>,
    pub action: ReviewAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// If given, the revision the reviewer saw of each record, in the order of `ids`; a record
    /// changed since is refused (see [`ReviewRequest::revision`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<uuid::Uuid>,
}

/// What became of one record of a bulk review.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum BulkReviewOutcome {
    /// Moved to `status`.
    Done { status: RecordStatus },
    /// Already there by the same action: nothing changed.
    Already { status: RecordStatus },
    /// Not moved; `message` says why, in the caller's language.
    Refused { message: String },
    /// No such record where the caller may see.
    NotFound,
    /// Not done because of a fault (the server busy, the database unreachable); `message` says
    /// so in the caller's language. Trying again may work.
    Failed { message: String },
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReviewResult {
    pub id: uuid::Uuid,
    #[serde(flatten)]
    pub outcome: BulkReviewOutcome,
}

/// `GET /api/records/{id}/history`: how a record came to be what it is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordHistory {
    /// Oldest first; the last is the current one.
    pub revisions: Vec<RevisionView>,
    /// Oldest first: every review and resubmission.
    pub reviews: Vec<ReviewView>,
    /// Copies pushed on a stale base (or with other content under the record's id): those waiting
    /// for a reviewer first, then newest first; at most 50.
    pub conflicts: Vec<ConflictView>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionView {
    pub id: uuid::Uuid,
    /// The revision it was based on; none for the first.
    pub base: Option<uuid::Uuid>,
    pub author: String,
    pub received_at: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Map<String, serde_json::Value>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    /// A `ReviewAction`, or `resubmit` (the author's correction).
    pub action: String,
    pub from: RecordStatus,
    pub to: RecordStatus,
    pub comment: Option<String>,
    pub by: String,
    pub at: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictView {
    pub id: i64,
    pub author: String,
    pub received_at: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Map<String, serde_json::Value>,
    /// The revision the phone made, and the one it was based on (absent for a copy pushed
    /// again under the record's id with other content).
    pub revision: Option<uuid::Uuid>,
    pub base: Option<uuid::Uuid>,
    /// `current` or `theirs` once a reviewer chose; absent while it waits.
    pub resolution: Option<String>,
}

/// Which copy a reviewer keeps when resolving a conflict.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The record's current revision stands; the conflicting copy is set aside.
    Current,
    /// The conflicting copy becomes the record's new current revision.
    Theirs,
}

/// `POST /api/records/{id}/conflicts/{conflict}/resolve`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveRequest {
    pub keep: Keep,
    /// The record's current revision as the reviewer saw it: if it has changed since, the
    /// choice is refused (409) rather than made over a revision nobody looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<uuid::Uuid>,
}

/// The comment as it is kept: composed (NFC, so decomposed Vietnamese counts as many letters as
/// it shows), trimmed, `None` when empty. Control characters, and the invisible ones that reorder
/// or hide text (bidirectional overrides, zero-width spaces, line separators), are refused: a
/// note to an author must read as it is written.
pub fn clean_comment(comment: Option<&str>) -> Result<Option<String>, Refusal> {
    use unicode_normalization::UnicodeNormalization;
    let Some(raw) = comment.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    // Bounded before composing: a huge body is refused without being copied.
    if raw.len() > MAX_COMMENT_CHARS * 8 {
        return Err(Refusal::CommentTooLong);
    }
    let c: String = raw.nfc().collect();
    if c.chars().count() > MAX_COMMENT_CHARS {
        return Err(Refusal::CommentTooLong);
    }
    let hidden = |ch: char| {
        matches!(ch,
            '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if c.chars()
        .any(|ch| (ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t') || hidden(ch))
    {
        return Err(Refusal::CommentUnreadable);
    }
    Ok(Some(c))
}

/// Where `action` by `by` takes `record`, with its comment as kept; or why it may not.
pub fn review(
    record: Reviewed<'_>,
    action: ReviewAction,
    by: Reviewer,
    comment: Option<&str>,
) -> Result<Transition, Refusal> {
    if !by.role.reviews() {
        return Err(Refusal::NotAReviewer);
    }
    if by.is_author {
        return Err(Refusal::OwnRecord);
    }
    if action.reports_only() && !record.is_report {
        return Err(Refusal::NotAReport);
    }
    let comment = clean_comment(comment)?;
    if record.status == action.target() && comment.as_deref() == record.note {
        return Ok(Transition::Already);
    }
    if !action.sources().contains(&record.status) {
        return Err(Refusal::WrongState {
            from: record.status,
            action,
        });
    }
    if action.needs_comment() && comment.is_none() {
        return Err(Refusal::CommentRequired(action));
    }
    Ok(Transition::To {
        to: action.target(),
        comment,
    })
}

/// What a resubmission by its author does: a returned record is received again, for review.
pub fn resubmit(status: RecordStatus, is_author: bool) -> Result<RecordStatus, Refusal> {
    if is_author && status == RecordStatus::Returned {
        Ok(RecordStatus::Received)
    } else {
        Err(Refusal::NotResubmittable)
    }
}

/// The actions `by` may take on `record` now: what a front end offers.
pub fn allowed(record: Reviewed<'_>, by: Reviewer) -> Vec<ReviewAction> {
    ReviewAction::ALL
        .into_iter()
        .filter(|&a| matches!(review(record, a, by, Some("x")), Ok(Transition::To { .. })))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use RecordStatus::*;
    use ReviewAction::*;

    const SUPERVISOR: Reviewer = Reviewer {
        role: Role::Supervisor,
        is_author: false,
    };
    const OFFICER: Reviewer = Reviewer {
        role: Role::Officer,
        is_author: false,
    };

    fn report(status: RecordStatus) -> Reviewed<'static> {
        Reviewed {
            status,
            is_report: true,
            note: None,
        }
    }

    fn visit(status: RecordStatus) -> Reviewed<'static> {
        Reviewed {
            status,
            is_report: false,
            note: None,
        }
    }

    fn to(to: RecordStatus, comment: Option<&str>) -> Result<Transition, Refusal> {
        Ok(Transition::To {
            to,
            comment: comment.map(str::to_owned),
        })
    }

    /// Every (state, action) pair of a neighborhood report, against the diagram above.
    #[test]
    fn report_transitions_are_exactly_those_of_the_diagram() {
        let allowed_pairs = [
            (Received, Approve, Approved),
            (Received, Return, Returned),
            (InProgress, Return, Returned),
            (Received, StartHandling, InProgress),
            (Approved, StartHandling, InProgress),
            (Received, Resolve, Resolved),
            (Approved, Resolve, Resolved),
            (InProgress, Resolve, Resolved),
        ];
        for from in RecordStatus::ALL {
            for action in ReviewAction::ALL {
                let got = review(report(from), action, SUPERVISOR, Some("ghi chú"));
                match allowed_pairs
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                {
                    Some((_, _, target)) => assert_eq!(
                        got,
                        to(*target, Some("ghi chú")),
                        "{from:?} --{action:?}-->"
                    ),
                    None => assert_eq!(
                        got,
                        Err(Refusal::WrongState { from, action }),
                        "{from:?} --{action:?}--> must be refused"
                    ),
                }
            }
        }
    }

    #[test]
    fn field_records_are_approved_or_returned_but_never_handled() {
        assert_eq!(
            review(visit(Received), Approve, OFFICER, None),
            to(Approved, None)
        );
        assert_eq!(
            review(visit(Received), Return, OFFICER, Some("Thiếu số nhà")),
            to(Returned, Some("Thiếu số nhà"))
        );
        for action in [StartHandling, Resolve] {
            for from in RecordStatus::ALL {
                assert_eq!(
                    review(visit(from), action, SUPERVISOR, Some("x")),
                    Err(Refusal::NotAReport)
                );
            }
        }
    }

    #[test]
    fn group_leaders_and_administrators_review_nothing() {
        for role in [Role::GroupLeader, Role::Admin] {
            let by = Reviewer {
                role,
                is_author: false,
            };
            for action in ReviewAction::ALL {
                assert_eq!(
                    review(report(Received), action, by, Some("x")),
                    Err(Refusal::NotAReviewer)
                );
            }
            assert!(allowed(report(Received), by).is_empty());
        }
    }

    #[test]
    fn nobody_reviews_their_own_record() {
        for role in [Role::Supervisor, Role::Officer] {
            let by = Reviewer {
                role,
                is_author: true,
            };
            for action in ReviewAction::ALL {
                assert_eq!(
                    review(report(Received), action, by, Some("x")),
                    Err(Refusal::OwnRecord)
                );
            }
        }
    }

    #[test]
    fn returning_needs_a_comment_and_resolving_a_reply() {
        for blank in [None, Some(""), Some("  \n ")] {
            assert_eq!(
                review(report(Received), Return, SUPERVISOR, blank),
                Err(Refusal::CommentRequired(Return))
            );
            assert_eq!(
                review(report(InProgress), Resolve, SUPERVISOR, blank),
                Err(Refusal::CommentRequired(Resolve))
            );
        }
        // The two ask for different things.
        assert_ne!(
            Refusal::CommentRequired(Return).text(),
            Refusal::CommentRequired(Resolve).text()
        );
    }

    #[test]
    fn comments_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            review(
                report(Received),
                Return,
                SUPERVISOR,
                Some("  Sửa địa chỉ\n ")
            ),
            to(Returned, Some("Sửa địa chỉ"))
        );
        let longest = "ư".repeat(MAX_COMMENT_CHARS);
        assert!(review(report(Received), Return, SUPERVISOR, Some(&longest)).is_ok());
        let too_long = "ư".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            review(report(Received), Return, SUPERVISOR, Some(&too_long)),
            Err(Refusal::CommentTooLong)
        );
        assert_eq!(
            review(report(Received), Return, SUPERVISOR, Some("a\u{0}b")),
            Err(Refusal::CommentUnreadable)
        );
        // Text that hides or reorders what the author reads is refused.
        for hidden in [
            "Sửa\u{202E}lại",
            "Sửa\u{200B}lại",
            "Sửa\u{2028}lại",
            "\u{FEFF}Sửa",
        ] {
            assert_eq!(
                review(report(Received), Return, SUPERVISOR, Some(hidden)),
                Err(Refusal::CommentUnreadable),
                "{hidden:?}"
            );
        }
        // Decomposed Vietnamese is kept composed and counts the letters it shows.
        let decomposed = "u\u{031B}".repeat(MAX_COMMENT_CHARS);
        assert_eq!(
            review(report(Received), Return, SUPERVISOR, Some(&decomposed)),
            to(Returned, Some(&longest))
        );
        assert_eq!(
            review(
                report(Received),
                Return,
                SUPERVISOR,
                Some("hai dòng\r\nvà\ttab")
            ),
            to(Returned, Some("hai dòng\r\nvà\ttab"))
        );
    }

    #[test]
    fn the_same_action_again_changes_nothing_but_another_comment_is_refused() {
        // A second click on "approve", or a retried request.
        assert_eq!(
            review(visit(Approved), Approve, OFFICER, None),
            Ok(Transition::Already)
        );
        let returned = Reviewed {
            status: Returned,
            is_report: false,
            note: Some("Thiếu số nhà"),
        };
        assert_eq!(
            review(returned, Return, SUPERVISOR, Some(" Thiếu số nhà ")),
            Ok(Transition::Already)
        );
        // Returned meanwhile by someone else with other words: theirs stands.
        assert_eq!(
            review(returned, Return, SUPERVISOR, Some("Ảnh mờ")),
            Err(Refusal::WrongState {
                from: Returned,
                action: Return
            })
        );
        // Still no reviewing of one's own record, even as a no-op.
        let own = Reviewer {
            role: Role::Officer,
            is_author: true,
        };
        assert_eq!(
            review(visit(Approved), Approve, own, None),
            Err(Refusal::OwnRecord)
        );
    }

    #[test]
    fn only_the_author_resubmits_and_only_a_returned_record() {
        assert_eq!(resubmit(Returned, true), Ok(Received));
        assert_eq!(resubmit(Returned, false), Err(Refusal::NotResubmittable));
        for from in [Received, Approved, InProgress, Resolved] {
            assert_eq!(resubmit(from, true), Err(Refusal::NotResubmittable));
        }
    }

    #[test]
    fn allowed_lists_what_a_front_end_may_offer() {
        assert_eq!(
            allowed(report(Received), OFFICER),
            vec![Approve, Return, StartHandling, Resolve]
        );
        assert_eq!(allowed(visit(Received), OFFICER), vec![Approve, Return]);
        assert_eq!(
            allowed(visit(Approved), SUPERVISOR),
            Vec::<ReviewAction>::new()
        );
        assert_eq!(
            allowed(report(InProgress), SUPERVISOR),
            vec![Return, Resolve]
        );
        assert!(allowed(report(Resolved), SUPERVISOR).is_empty());
    }

    /// The wire format, byte for byte: the desk, the server and the tests must not drift.
    #[test]
    fn review_requests_and_results_have_a_fixed_json_form() {
        let req: ReviewRequest =
            serde_json::from_str(r#"{"action":"return","comment":"Thiếu số nhà"}"#).unwrap();
        assert_eq!(
            req,
            ReviewRequest {
                action: Return,
                comment: Some("Thiếu số nhà".into()),
                revision: None,
            }
        );
        let seen: ReviewRequest = serde_json::from_str(
            r#"{"action":"approve","revision":"00000000-0000-0000-0000-000000000000"}"#,
        )
        .unwrap();
        assert_eq!(seen.revision, Some(uuid::Uuid::nil()));
        let bare: ReviewRequest = serde_json::from_str(r#"{"action":"start_handling"}"#).unwrap();
        assert_eq!(bare.comment, None);
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"action":"start_handling"}"#
        );
        let id = uuid::Uuid::nil();
        let results = [
            BulkReviewResult {
                id,
                outcome: BulkReviewOutcome::Done { status: Approved },
            },
            BulkReviewResult {
                id,
                outcome: BulkReviewOutcome::Already { status: Approved },
            },
            BulkReviewResult {
                id,
                outcome: BulkReviewOutcome::Refused {
                    message: "no".into(),
                },
            },
            BulkReviewResult {
                id,
                outcome: BulkReviewOutcome::NotFound,
            },
            BulkReviewResult {
                id,
                outcome: BulkReviewOutcome::Failed {
                    message: "busy".into(),
                },
            },
        ];
        let nil = "00000000-0000-0000-0000-000000000000";
        assert_eq!(
            serde_json::to_string(&results).unwrap(),
            format!(
                r#"[{{"id":"{nil}","outcome":"done","status":"approved"}},{{"id":"{nil}","outcome":"already","status":"approved"}},{{"id":"{nil}","outcome":"refused","message":"no"}},{{"id":"{nil}","outcome":"not_found"}},{{"id":"{nil}","outcome":"failed","message":"busy"}}]"#
            )
        );
        for action in ReviewAction::ALL {
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::Value::String(action.as_str().into())
            );
        }
    }

    #[test]
    fn every_refusal_reads_in_both_languages() {
        let refusals = [
            Refusal::NotAReviewer,
            Refusal::OwnRecord,
            Refusal::NotAReport,
            Refusal::WrongState {
                from: Approved,
                action: Approve,
            },
            Refusal::CommentRequired(Return),
            Refusal::CommentRequired(Resolve),
            Refusal::CommentTooLong,
            Refusal::CommentUnreadable,
            Refusal::NotResubmittable,
            Refusal::AlreadySettled,
            Refusal::ChangedMeanwhile,
            Refusal::CopyInvalid,
        ];
        for r in refusals {
            let t = r.text();
            assert!(!t.vi.is_empty() && !t.en.is_empty(), "{r:?}");
            assert_ne!(t.vi, t.en, "{r:?} is not translated");
        }
        assert_eq!(
            Refusal::WrongState {
                from: Approved,
                action: Approve
            }
            .message(Lang::En),
            "A record that is “Approved” cannot be approved."
        );
    }
}
