//! Conditions: a small, safe expression language for "show this field only when ...".
//!
//! A condition is parsed once (when its form is read) into a tree and evaluated by this module on
//! the phone and on the server alike. There is no arithmetic, no loops, no calls out: evaluation
//! always ends and never panics, whatever the form author or a record's data contains.
//!
//! # Grammar
//!
//! ```text
//! condition  = or ;
//! or         = and , { "or" , and } ;
//! and        = not , { "and" , not } ;
//! not        = "not" , not | comparison ;
//! comparison = operand , [ op , operand | "in" , "[" , literal , { "," , literal } , "]" ] ;
//! op         = "=" | "!=" | "<" | "<=" | ">" | ">=" ;
//! operand    = literal | call | field | "(" , condition , ")" ;
//! call       = "selected" , "(" , field , "," , string , ")"   (* a choice is picked *)
//!            | "count" , "(" , field , ")"                      (* items, rows or photos *)
//!            | "filled" , "(" , field , ")" ;                   (* not blank *)
//! field      = ( letter | "_" ) , { letter | digit | "_" } ;   (* a field key, not a keyword *)
//! literal    = number | string | "true" | "false" | "null" ;
//! number     = [ "-" ] , digit , { digit } , [ "." , digit , { digit } ] ;
//! string     = "'" , { any character but "'" } , "'" | '"' , { any character but '"' } , '"' ;
//! ```
//! Keywords (`and`, `or`, `not`, `in`, `true`, `false`, `null`) are lowercase; spaces are free.
//! Nesting is limited to 32 levels and a condition to 1,000 characters.
//!
//! # Meaning
//! - A field stands for its current value; a hidden or blank field is `null`.
//! - `=` and `!=` compare values of the same kind (numbers as numbers, text as text, yes/no as
//!   booleans); values of different kinds are never equal. `<`, `<=`, `>`, `>=` compare two numbers
//!   or two texts (dates `YYYY-MM-DD` order correctly as text) and are false otherwise.
//! - `and`, `or`, `not` take truth values: `null`, `false`, `0`, empty text and no items are false.
//! - `selected(f, 'v')` is true when `f` is a single choice equal to `v` or a multiple choice
//!   containing `v`; `count(f)` is the number of picked choices, repeat rows or photos;
//!   `filled(f)` is true when `f` has a value.
//!
//! Examples: `purpose = 'fire_safety'`, `violations_found = true and count(violations) = 0`,
//! `selected(findings, 'other') or people_met > 3`, `not filled(phone)`.

use serde_json::Value;

use crate::lang::Lang;

/// Longest condition accepted, in characters.
pub const MAX_LEN: usize = 1000;
/// Deepest nesting of parentheses and `not`.
pub const MAX_DEPTH: usize = 32;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Lit),
    Field(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    In(Box<Expr>, Vec<Lit>),
    Selected(String, String),
    Count(String),
    Filled(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// Why a condition could not be read, and where (a character position, counted from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    TooLong,
    TooDeep,
    Unexpected(String),
    UnexpectedEnd,
    Expected(&'static str),
    UnclosedString,
    UnknownFunction(String),
    BadNumber,
}

impl ParseError {
    pub fn message(&self, lang: Lang) -> String {
        use ParseErrorKind::*;
        let at = self.at;
        match (&self.kind, lang) {
            (TooLong, Lang::Vi) => format!("điều kiện quá dài (tối đa {MAX_LEN} ký tự)"),
            (TooLong, Lang::En) => {
                format!("the condition is too long (at most {MAX_LEN} characters)")
            }
            (TooDeep, Lang::Vi) => format!("điều kiện lồng nhau quá sâu (tối đa {MAX_DEPTH} mức)"),
            (TooDeep, Lang::En) => {
                format!("the condition is nested too deeply (at most {MAX_DEPTH} levels)")
            }
            (Unexpected(s), Lang::Vi) => format!("không hiểu «{s}» ở ký tự thứ {at}"),
            (Unexpected(s), Lang::En) => format!("unexpected “{s}” at character {at}"),
            (UnexpectedEnd, Lang::Vi) => "điều kiện kết thúc giữa chừng".into(),
            (UnexpectedEnd, Lang::En) => "the condition ends too early".into(),
            (Expected(what), Lang::Vi) => format!("thiếu «{what}» ở ký tự thứ {at}"),
            (Expected(what), Lang::En) => format!("expected “{what}” at character {at}"),
            (UnclosedString, Lang::Vi) => format!("chuỗi mở ở ký tự thứ {at} chưa được đóng"),
            (UnclosedString, Lang::En) => {
                format!("the text starting at character {at} is not closed")
            }
            (UnknownFunction(f), Lang::Vi) => {
                format!("không có hàm «{f}» (dùng selected, count, filled)")
            }
            (UnknownFunction(f), Lang::En) => {
                format!("there is no function “{f}” (use selected, count, filled)")
            }
            (BadNumber, Lang::Vi) => format!("số không hợp lệ ở ký tự thứ {at}"),
            (BadNumber, Lang::En) => format!("invalid number at character {at}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Op(CmpOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn tokenize(src: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, kind| ParseError { at: at + 1, kind };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            '=' => Tok::Op(CmpOp::Eq),
            '!' if chars.get(i + 1) == Some(&'=') => {
                i += 1;
                Tok::Op(CmpOp::Ne)
            }
            '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                if eq {
                    i += 1;
                }
                Tok::Op(match (c, eq) {
                    ('<', false) => CmpOp::Lt,
                    ('<', true) => CmpOp::Le,
                    ('>', false) => CmpOp::Gt,
                    _ => CmpOp::Ge,
                })
            }
            '\'' | '"' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or(err(start, ParseErrorKind::UnclosedString))?;
                let s: String = chars[i + 1..i + 1 + close].iter().collect();
                i += close + 1;
                Tok::Str(s)
            }
            '-' | '0'..='9' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let n = crate::num::parse_decimal(&text)
                    .ok_or(err(start, ParseErrorKind::BadNumber))?;
                i = j - 1;
                Tok::Num(n)
            }
            // Field keys are ASCII (`[a-z][a-z0-9_]*`, checked when a form is published), and
            // so are the words of the language: anything else is refused here, and the phone
            // carries no Unicode letter tables for it.
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                i = j - 1;
                Tok::Ident(word)
            }
            other => return Err(err(start, ParseErrorKind::Unexpected(other.to_string()))),
        };
        out.push((start + 1, tok));
        i += 1;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(usize::MAX, |(at, _)| *at)
    }

    fn err<T>(&self, kind: ParseErrorKind) -> Result<T, ParseError> {
        let kind = match (kind, self.peek()) {
            (ParseErrorKind::Expected(_) | ParseErrorKind::Unexpected(_), None) => {
                ParseErrorKind::UnexpectedEnd
            }
            (k, _) => k,
        };
        Err(ParseError {
            at: self.at(),
            kind,
        })
    }

    fn unexpected<T>(&self) -> Result<T, ParseError> {
        let shown = match self.peek() {
            Some(Tok::Ident(s)) => s.clone(),
            Some(Tok::Str(s)) => format!("'{s}'"),
            Some(Tok::Num(n)) => n.to_string(),
            Some(Tok::Op(op)) => op.symbol().into(),
            Some(Tok::LParen) => "(".into(),
            Some(Tok::RParen) => ")".into(),
            Some(Tok::LBracket) => "[".into(),
            Some(Tok::RBracket) => "]".into(),
            Some(Tok::Comma) => ",".into(),
            None => String::new(),
        };
        self.err(ParseErrorKind::Unexpected(shown))
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: Tok, shown: &'static str) -> Result<(), ParseError> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(ParseErrorKind::Expected(shown))
        }
    }

    fn nest(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(ParseErrorKind::TooDeep);
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.keyword("not") {
            self.nest()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let left = self.operand()?;
        if let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            self.pos += 1;
            let right = self.operand()?;
            return Ok(Expr::Cmp(Box::new(left), op, Box::new(right)));
        }
        if self.keyword("in") {
            self.expect(Tok::LBracket, "[")?;
            let mut items = vec![self.literal()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                items.push(self.literal()?);
            }
            self.expect(Tok::RBracket, "]")?;
            return Ok(Expr::In(Box::new(left), items));
        }
        Ok(left)
    }

    fn literal(&mut self) -> Result<Lit, ParseError> {
        let lit = match self.peek() {
            Some(Tok::Num(n)) => Lit::Num(*n),
            Some(Tok::Str(s)) => Lit::Str(s.clone()),
            Some(Tok::Ident(w)) if w == "true" => Lit::Bool(true),
            Some(Tok::Ident(w)) if w == "false" => Lit::Bool(false),
            Some(Tok::Ident(w)) if w == "null" => Lit::Null,
            _ => return self.unexpected(),
        };
        self.pos += 1;
        Ok(lit)
    }

    fn field(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Ident(w)) if !is_keyword(w) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => self.err(ParseErrorKind::Expected("field")),
        }
    }

    fn operand(&mut self) -> Result<Expr, ParseError> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                self.nest()?;
                let inner = self.or()?;
                self.depth -= 1;
                self.expect(Tok::RParen, ")")?;
                Ok(inner)
            }
            Some(Tok::Ident(w))
                if is_keyword(&w) && !matches!(w.as_str(), "true" | "false" | "null") =>
            {
                self.unexpected()
            }
            Some(Tok::Ident(w))
                if self.toks.get(self.pos + 1).map(|(_, t)| t) == Some(&Tok::LParen) =>
            {
                let at = self.at();
                self.pos += 2;
                let arg = self.field()?;
                let call = match w.as_str() {
                    "selected" => {
                        self.expect(Tok::Comma, ",")?;
                        let Some(Tok::Str(v)) = self.peek().cloned() else {
                            return self.err(ParseErrorKind::Expected("'…'"));
                        };
                        self.pos += 1;
                        Expr::Selected(arg, v)
                    }
                    "count" => Expr::Count(arg),
                    "filled" => Expr::Filled(arg),
                    _ => {
                        return Err(ParseError {
                            at,
                            kind: ParseErrorKind::UnknownFunction(w),
                        })
                    }
                };
                self.expect(Tok::RParen, ")")?;
                Ok(call)
            }
            Some(Tok::Ident(w)) if !is_keyword(&w) => {
                self.pos += 1;
                Ok(Expr::Field(w))
            }
            _ => self.literal().map(Expr::Lit),
        }
    }
}

fn is_keyword(w: &str) -> bool {
    matches!(w, "and" | "or" | "not" | "in" | "true" | "false" | "null")
}

impl Expr {
    /// Parses a condition.
    pub fn parse(src: &str) -> Result<Expr, ParseError> {
        if src.chars().count() > MAX_LEN {
            return Err(ParseError {
                at: MAX_LEN + 1,
                kind: ParseErrorKind::TooLong,
            });
        }
        let toks = tokenize(src)?;
        let mut p = Parser {
            toks,
            pos: 0,
            depth: 0,
        };
        let expr = p.or()?;
        if p.pos < p.toks.len() {
            return p.unexpected();
        }
        Ok(expr)
    }

    /// The field keys this condition reads, in order of first use.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            let key = match e {
                Expr::Field(k) | Expr::Selected(k, _) | Expr::Count(k) | Expr::Filled(k) => k,
                _ => return,
            };
            if !out.contains(&key.as_str()) {
                out.push(key.as_str());
            }
        });
        out
    }

    /// Calls `f` on this node and every node below it.
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Not(a) | Expr::In(a, _) => a.visit(f),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp(a, _, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Lit(_)
            | Expr::Field(_)
            | Expr::Selected(..)
            | Expr::Count(_)
            | Expr::Filled(_) => {}
        }
    }

    /// Evaluates the condition; `lookup` gives a field's value, `None` when hidden or absent.
    pub fn holds<'v>(&self, lookup: &impl Fn(&str) -> Option<&'v Value>) -> bool {
        self.eval(lookup).truthy()
    }

    fn eval<'v>(&self, lookup: &impl Fn(&str) -> Option<&'v Value>) -> Val {
        match self {
            Expr::Lit(l) => Val::from_lit(l),
            Expr::Field(k) => Val::from_json(lookup(k)),
            Expr::Not(a) => Val::Bool(!a.eval(lookup).truthy()),
            Expr::And(a, b) => Val::Bool(a.eval(lookup).truthy() && b.eval(lookup).truthy()),
            Expr::Or(a, b) => Val::Bool(a.eval(lookup).truthy() || b.eval(lookup).truthy()),
            Expr::Cmp(a, op, b) => Val::Bool(compare(&a.eval(lookup), *op, &b.eval(lookup))),
            Expr::In(a, items) => {
                let v = a.eval(lookup);
                Val::Bool(
                    items
                        .iter()
                        .any(|l| compare(&v, CmpOp::Eq, &Val::from_lit(l))),
                )
            }
            Expr::Selected(k, choice) => Val::Bool(match lookup(k) {
                Some(Value::String(s)) => s == choice,
                Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(choice)),
                _ => false,
            }),
            Expr::Count(k) => Val::Num(match lookup(k) {
                Some(Value::Array(items)) => items.len() as f64,
                Some(v) if !is_blank(v) => 1.0,
                _ => 0.0,
            }),
            Expr::Filled(k) => Val::Bool(lookup(k).is_some_and(|v| !is_blank(v))),
        }
    }
}

/// A value is blank when it is missing, `null`, only spaces, or an empty list.
pub fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Values as conditions see them.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// A list or an object: only its size matters to a condition.
    Many(usize),
}

impl Val {
    fn from_lit(l: &Lit) -> Val {
        match l {
            Lit::Null => Val::Null,
            Lit::Bool(b) => Val::Bool(*b),
            Lit::Num(n) => Val::Num(*n),
            Lit::Str(s) => Val::Str(s.clone()),
        }
    }

    fn from_json(v: Option<&Value>) -> Val {
        match v {
            None | Some(Value::Null) => Val::Null,
            Some(v) if is_blank(v) => Val::Null,
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Number(n)) => n.as_f64().map_or(Val::Null, Val::Num),
            Some(Value::String(s)) => Val::Str(s.clone()),
            Some(Value::Array(a)) => Val::Many(a.len()),
            Some(Value::Object(o)) => Val::Many(o.len().max(1)),
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::Many(n) => *n > 0,
        }
    }
}

fn compare(a: &Val, op: CmpOp, b: &Val) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Some(x.cmp(y)),
        (Val::Null, Val::Null) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Some(Ordering::Equal),
        _ => None,
    };
    match (op, ord) {
        (CmpOp::Eq, o) => o == Some(Ordering::Equal),
        (CmpOp::Ne, o) => o != Some(Ordering::Equal),
        (_, None) => false,
        (CmpOp::Lt, Some(o)) => o == Ordering::Less,
        (CmpOp::Le, Some(o)) => o != Ordering::Greater,
        (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
        (CmpOp::Ge, Some(o)) => o != Ordering::Less,
    }
}

impl std::fmt::Display for Lit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lit::Null => f.write_str("null"),
            Lit::Bool(b) => write!(f, "{b}"),
            Lit::Num(n) => write!(f, "{n}"),
            Lit::Str(s) if s.contains('\'') => write!(f, "\"{s}\""),
            Lit::Str(s) => write!(f, "'{s}'"),
        }
    }
}

/// Writes the condition back as text, fully parenthesized; parsing it gives the same tree.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Lit(l) => write!(f, "{l}"),
            Expr::Field(k) => f.write_str(k),
            Expr::Not(a) => write!(f, "not ({a})"),
            Expr::And(a, b) => write!(f, "({a}) and ({b})"),
            Expr::Or(a, b) => write!(f, "({a}) or ({b})"),
            Expr::Cmp(a, op, b) => write!(f, "({a}) {} ({b})", op.symbol()),
            Expr::In(a, items) => {
                write!(f, "({a}) in [")?;
                for (i, l) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{l}")?;
                }
                f.write_str("]")
            }
            Expr::Selected(k, v) => write!(f, "selected({k}, {})", Lit::Str(v.clone())),
            Expr::Count(k) => write!(f, "count({k})"),
            Expr::Filled(k) => write!(f, "filled({k})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(src: &str, data: Value) -> bool {
        let expr = Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
        let map = data.as_object().unwrap().clone();
        expr.holds(&|k| map.get(k))
    }

    #[test]
    fn comparisons_and_logic_follow_the_documented_meaning() {
        let d = json!({"purpose": "fire_safety", "n": 4, "ok": true, "name": "  ", "list": ["a", "b"], "day": "2026-11-25"});
        let cases = [
            ("purpose = 'fire_safety'", true),
            ("purpose != \"fire_safety\"", false),
            ("n > 3 and n <= 4", true),
            ("n >= 5 or ok", true),
            ("not ok", false),
            ("name = null", true),
            ("missing = null and not filled(missing)", true),
            ("n = '4'", false),
            ("n != '4'", true),
            ("ok < true", false),
            ("selected(list, 'b') and not selected(list, 'c')", true),
            ("selected(purpose, 'fire_safety')", true),
            (
                "count(list) = 2 and count(missing) = 0 and count(n) = 1",
                true,
            ),
            ("purpose in ['patrol', 'fire_safety']", true),
            ("n in [1, 2, 3]", false),
            ("day >= '2026-01-01' and day < '2027-01-01'", true),
            ("n = -4 or n = 4.0", true),
            ("(ok or false) and (n > 1 and (n < 10))", true),
            ("not not ok", true),
            ("list", true),
            ("filled(name)", false),
        ];
        for (src, want) in cases {
            assert_eq!(holds(src, d.clone()), want, "{src}");
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let d = json!({"a": true, "b": false, "c": false});
        assert!(holds("a or b and c", d.clone()));
        assert!(!holds("(a or b) and c", d));
    }

    #[test]
    fn parse_errors_say_where_and_what() {
        let cases = [
            ("purpose = ", ParseErrorKind::UnexpectedEnd),
            ("purpose == 'x'", ParseErrorKind::Unexpected("=".into())),
            ("a = 'open", ParseErrorKind::UnclosedString),
            ("shout(a)", ParseErrorKind::UnknownFunction("shout".into())),
            ("a = 1.2.3", ParseErrorKind::BadNumber),
            ("a & b", ParseErrorKind::Unexpected("&".into())),
            ("(a = 1", ParseErrorKind::UnexpectedEnd),
            ("a b", ParseErrorKind::Unexpected("b".into())),
            ("and", ParseErrorKind::Unexpected("and".into())),
            ("selected(a)", ParseErrorKind::Expected(",")),
        ];
        for (src, kind) in cases {
            assert_eq!(Expr::parse(src).unwrap_err().kind, kind, "{src}");
        }
        let e = Expr::parse("purpose == 'x'").unwrap_err();
        assert_eq!(e.at, 10);
        assert_eq!(e.message(Lang::En), "unexpected “=” at character 10");
        assert_eq!(e.message(Lang::Vi), "không hiểu «=» ở ký tự thứ 10");
    }

    #[test]
    fn deep_nesting_and_long_conditions_are_refused_not_overflowed() {
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(
            Expr::parse(&deep).unwrap_err().kind,
            ParseErrorKind::TooDeep
        );
        let nots = format!("{}a", "not ".repeat(40));
        assert_eq!(
            Expr::parse(&nots).unwrap_err().kind,
            ParseErrorKind::TooDeep
        );
        let long = "a or ".repeat(300) + "a";
        assert_eq!(
            Expr::parse(&long).unwrap_err().kind,
            ParseErrorKind::TooLong
        );
    }

    #[test]
    fn fields_lists_every_key_read_once() {
        let e =
            Expr::parse("a = 1 or selected(b, 'x') and count(c) > 0 and not filled(a)").unwrap();
        assert_eq!(e.fields(), ["a", "b", "c"]);
    }

    #[test]
    fn printing_then_parsing_gives_the_same_tree() {
        let src = "not (a = 'it''s') or b in [1, -2.5, null, true] and selected(c, \"it's\")";
        // `'it''s'` is two strings next to each other: refused, not silently joined.
        assert!(Expr::parse(src).is_err());
        let src = "not (a = \"it's\") or b in [1, -2.5, null, true] and selected(c, \"it's\")";
        let e = Expr::parse(src).unwrap();
        assert_eq!(Expr::parse(&e.to_string()).unwrap(), e);
    }
}
