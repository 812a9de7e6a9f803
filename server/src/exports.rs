//! Files made of records, for people who work on them elsewhere: a zip of CSV files (one per
//! form, one per repeat group of a form, joined by the record's id, as ODK Central exports),
//! an Excel workbook (a sheet per form and per repeat group, headed by the forms' own labels),
//! and GeoJSON of the records' GPS points.
//!
//! A [`Writer`] takes records one at a time and writes them to files in a directory of its own,
//! so what it holds in memory does not grow with their number: CSV rows go straight to their
//! file, the workbook's sheets are rust_xlsxwriter's "constant memory" sheets (each row goes to
//! a temporary file as it is written), and GeoJSON features are written as they come. The job
//! around it (fetching records page by page, progress, the finished file) is in
//! `routes/exports.rs`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use domain::calendar::LocalTime;
use domain::form::{FieldDef, FieldKind, FormDef};
use domain::record::RecordStatus;
use domain::{Lang, Text};
use serde_json::{Map, Value};

pub use domain::api::ExportFormat as Format;

/// The file's media type.
pub fn content_type(format: Format) -> &'static str {
    match format {
        Format::Csv => "application/zip",
        Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Format::Geojson => "application/geo+json",
    }
}

/// One record as an export reads it.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: String,
    pub form_key: String,
    pub form_version: u32,
    pub ward: String,
    pub group: String,
    pub author: String,
    pub status: RecordStatus,
    /// When its author filed it (ms).
    pub filed_at: i64,
    /// When the server received it (ms).
    pub received_at: i64,
    pub status_note: Option<String>,
    pub data: Map<String, Value>,
}

/// The most rows a sheet of a workbook can hold (Excel's own limit), its header included.
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

/// More rows than one sheet holds: the export fails as `too_many_rows` (a CSV has no limit).
#[derive(Debug, thiserror::Error)]
#[error("more than {XLSX_MAX_ROWS} rows for one sheet")]
pub struct TooManyRows;

/// What an export that holds no record says instead, in its file.
fn nothing_matches() -> Text {
    Text::new(
        "Không có hồ sơ nào khớp bộ lọc.",
        "No records match the filter.",
    )
}

/// The longest text a workbook's cell holds (Excel's own limit, in UTF-16 code units: an emoji
/// counts twice).
const XLSX_MAX_UNITS: usize = 32_767;

/// The longest start of `s` that is at most `max` UTF-16 code units.
fn utf16_prefix(s: &str, max: usize) -> &str {
    let mut units = 0;
    let end = s
        .char_indices()
        .find(|&(_, c)| {
            units += c.len_utf16();
            units > max
        })
        .map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// The longest start of `s` that is at most `max` UTF-16 code units, ending in "…" when cut.
fn fit_utf16(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.encode_utf16().count() <= max {
        return s.into();
    }
    format!("{}…", utf16_prefix(s, max - 1)).into()
}

/// A time on the ward's clocks, ISO 8601 with its offset: `2025-07-01T08:30+07:00`.
pub fn iso_local(ms: i64) -> String {
    format!("{}+07:00", LocalTime::at(ms).iso_hm())
}

/// A CSV cell's text with a leading `= + - @` (or tab, carriage return) defused, so a
/// spreadsheet opening the file shows the text instead of running it as a formula.
pub fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// A cell's value.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

/// Which part of a field a column holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Whole,
    Latitude,
    Longitude,
    Accuracy,
    /// A repeat group's number of rows (the rows are in the group's own file).
    RowCount,
}

/// A column of a file: a field (or part of one).
#[derive(Debug, Clone)]
struct Column {
    field: FieldDef,
    part: Part,
}

impl Column {
    /// The CSV header: the field's key (`place.lat` for a part), stable across languages.
    fn key(&self) -> String {
        match self.part {
            Part::Whole | Part::RowCount => self.field.key.clone(),
            Part::Latitude => format!("{}.lat", self.field.key),
            Part::Longitude => format!("{}.lon", self.field.key),
            Part::Accuracy => format!("{}.accuracy_m", self.field.key),
        }
    }

    /// The workbook's header: the field's label in `lang`.
    fn label(&self, lang: Lang) -> String {
        let label = self.field.label.get(lang);
        let part = match self.part {
            Part::Whole => return label.to_owned(),
            Part::Latitude => Text::new("vĩ độ", "latitude"),
            Part::Longitude => Text::new("kinh độ", "longitude"),
            Part::Accuracy => Text::new("độ chính xác (m)", "accuracy (m)"),
            Part::RowCount => Text::new("số dòng", "rows"),
        };
        format!("{label} ({})", part.get(lang))
    }

    /// The column's cell for `value`: for people (`human`, the workbook) choices by their
    /// labels and yes/no in words; for machines (CSV) the stored values.
    fn cell(&self, value: Option<&Value>, lang: Lang, human: bool) -> Cell {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Cell::Empty;
        };
        let gps = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_f64)
                .map_or(Cell::Empty, Cell::Number)
        };
        match self.part {
            Part::Latitude => return gps("lat"),
            Part::Longitude => return gps("lon"),
            Part::Accuracy => return gps("accuracy_m"),
            Part::RowCount => {
                return value
                    .as_array()
                    .map_or(Cell::Empty, |rows| Cell::Number(rows.len() as f64))
            }
            Part::Whole => {}
        }
        let choices = self.field.kind.choices();
        let choice = |v: &str| -> String {
            match choices.and_then(|cs| cs.iter().find(|c| c.value == v)) {
                Some(c) if human => c.label.get(lang).to_owned(),
                _ => v.to_owned(),
            }
        };
        match value {
            Value::String(s) => match &self.field.kind {
                FieldKind::SingleChoice { .. } => Cell::Text(choice(s)),
                FieldKind::Date if human => Cell::Text(
                    domain::calendar::Date::parse_iso(s).map_or_else(|| s.clone(), |d| d.dmy()),
                ),
                _ => Cell::Text(s.clone()),
            },
            Value::Number(n) => n.as_f64().map_or(Cell::Empty, Cell::Number),
            Value::Bool(b) => Cell::Text(
                match (human, b) {
                    (true, true) => Text::new("Có", "Yes").get(lang).to_owned(),
                    (true, false) => Text::new("Không", "No").get(lang).to_owned(),
                    (false, b) => b.to_string(),
                }
                .to_owned(),
            ),
            Value::Array(items) => {
                // Choices: space-separated values (as ODK writes them) or labels for people;
                // photos: their file names.
                let parts: Vec<String> = items
                    .iter()
                    .map(|item| match item {
                        Value::String(s) => choice(s),
                        Value::Object(o) => o
                            .get("sha256")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .unwrap_or_else(|| item.to_string()),
                        other => other.to_string(),
                    })
                    .collect();
                Cell::Text(parts.join(if human { ", " } else { " " }))
            }
            Value::Object(_) => Cell::Text(value.to_string()),
            Value::Null => Cell::Empty,
        }
    }
}

/// The columns of one form's files, over every version of it: the newest version's fields in
/// its order, then fields only older versions had.
#[derive(Debug)]
struct Layout {
    key: String,
    title: String,
    columns: Vec<Column>,
    /// Each repeat group: its field and its sub-fields' columns.
    repeats: Vec<(FieldDef, Vec<Column>)>,
}

fn columns_of(fields: &[FieldDef]) -> Vec<Column> {
    let mut out = Vec::new();
    for f in fields {
        let parts: &[Part] = match f.kind {
            FieldKind::Gps { .. } => &[Part::Latitude, Part::Longitude, Part::Accuracy],
            FieldKind::Repeat { .. } => &[Part::RowCount],
            _ => &[Part::Whole],
        };
        out.extend(parts.iter().map(|&part| Column {
            field: f.clone(),
            part,
        }));
    }
    out
}

impl Layout {
    /// `versions` newest first; an unknown form (none) gets the columns its records have.
    fn new(key: &str, versions: &[FormDef], lang: Lang) -> Layout {
        let mut fields: Vec<FieldDef> = Vec::new();
        for form in versions {
            for f in &form.fields {
                if !fields.iter().any(|g| g.key == f.key) {
                    fields.push(f.clone());
                }
            }
        }
        let repeats = fields
            .iter()
            .filter_map(|f| match &f.kind {
                FieldKind::Repeat { fields: sub, .. } => Some((f.clone(), columns_of(sub))),
                _ => None,
            })
            .collect();
        Layout {
            key: key.to_owned(),
            title: versions
                .first()
                .map_or_else(|| key.to_owned(), |f| f.title.get(lang).to_owned()),
            columns: columns_of(&fields),
            repeats,
        }
    }
}

/// The columns every record has before its form's own, as (CSV key, label).
fn record_headers() -> [(&'static str, Text); 9] {
    [
        ("record_id", Text::new("Mã hồ sơ", "Record id")),
        ("form_version", Text::new("Phiên bản mẫu", "Form version")),
        ("ward", Text::new("Phường / xã", "Ward / commune")),
        ("group", Text::new("Tổ dân phố", "Residential group")),
        ("author", Text::new("Người lập", "Filed by")),
        ("status", Text::new("Trạng thái", "Status")),
        ("filed_at", Text::new("Thời điểm lập", "Filed at")),
        ("received_at", Text::new("Thời điểm nhận", "Received at")),
        ("review_note", Text::new("Ghi chú duyệt", "Review note")),
    ]
}

fn repeat_headers() -> [(&'static str, Text); 2] {
    [
        ("record_id", Text::new("Mã hồ sơ", "Record id")),
        ("row", Text::new("Dòng", "Row")),
    ]
}

/// A record's own cells, before its form's.
fn record_cells(row: &ExportRow, lang: Lang, human: bool) -> Vec<Cell> {
    let time = |ms: i64| {
        Cell::Text(if human {
            LocalTime::at(ms).dmy_hm()
        } else {
            iso_local(ms)
        })
    };
    vec![
        Cell::Text(row.id.clone()),
        Cell::Number(f64::from(row.form_version)),
        Cell::Text(row.ward.clone()),
        Cell::Text(row.group.clone()),
        Cell::Text(row.author.clone()),
        Cell::Text(if human {
            row.status.label(lang).to_owned()
        } else {
            row.status.as_str().to_owned()
        }),
        time(row.filed_at),
        time(row.received_at),
        row.status_note.clone().map_or(Cell::Empty, Cell::Text),
    ]
}

/// Builds one export file from records given one at a time.
pub struct Writer {
    dir: PathBuf,
    lang: Lang,
    /// Every version of every form, newest first.
    forms: HashMap<String, Vec<FormDef>>,
    layouts: HashMap<String, Layout>,
    out: Out,
    /// Records written.
    pub written: u64,
}

enum Out {
    Csv(CsvFiles),
    Xlsx(Box<XlsxBook>),
    Geojson(GeoFile),
}

impl Writer {
    /// A writer of `format` whose files go in `dir` (which it does not remove); `forms` are
    /// every published version of the forms (in any order).
    pub fn new(
        format: Format,
        dir: &Path,
        lang: Lang,
        forms: Vec<FormDef>,
    ) -> anyhow::Result<Writer> {
        let mut by_key: HashMap<String, Vec<FormDef>> = HashMap::new();
        for f in forms {
            by_key.entry(f.key.clone()).or_default().push(f);
        }
        for versions in by_key.values_mut() {
            versions.sort_by_key(|f| std::cmp::Reverse(f.version));
        }
        let out = match format {
            Format::Csv => Out::Csv(CsvFiles {
                files: Vec::new(),
                index: HashMap::new(),
            }),
            Format::Xlsx => Out::Xlsx(Box::new(XlsxBook::new(dir)?)),
            Format::Geojson => Out::Geojson(GeoFile::create(&dir.join("export.geojson"))?),
        };
        Ok(Writer {
            dir: dir.to_owned(),
            lang,
            forms: by_key,
            layouts: HashMap::new(),
            out,
            written: 0,
        })
    }

    pub fn add(&mut self, row: &ExportRow) -> anyhow::Result<()> {
        if !self.layouts.contains_key(&row.form_key) {
            let versions = self.forms.get(&row.form_key).map_or(&[][..], Vec::as_slice);
            let layout = Layout::new(&row.form_key, versions, self.lang);
            self.layouts.insert(row.form_key.clone(), layout);
        }
        let layout = &self.layouts[&row.form_key];
        match &mut self.out {
            Out::Csv(files) => files.add(&self.dir, layout, row)?,
            Out::Xlsx(book) => book.add(layout, row, self.lang)?,
            Out::Geojson(geo) => geo.add(layout, row, self.lang)?,
        }
        self.written += 1;
        Ok(())
    }

    /// Finishes the file and gives its path (inside the writer's directory).
    pub fn finish(self) -> anyhow::Result<PathBuf> {
        match self.out {
            Out::Csv(files) => files.finish(&self.dir, self.lang),
            Out::Xlsx(book) => book.finish(&self.dir, self.lang),
            Out::Geojson(geo) => geo.finish(),
        }
    }
}

/// The CSV files of a zip, each written to a file of its own as rows come and put in the zip
/// at the end, one after the other.
struct CsvFiles {
    /// (name in the zip, its writer), in the order they were started.
    files: Vec<(String, csv::Writer<BufWriter<File>>)>,
    /// (form key, repeat key) to its place in `files`.
    index: HashMap<(String, Option<String>), usize>,
}

impl CsvFiles {
    fn file(
        &mut self,
        dir: &Path,
        form: &str,
        repeat: Option<&str>,
        header: impl FnOnce() -> Vec<String>,
    ) -> anyhow::Result<&mut csv::Writer<BufWriter<File>>> {
        let k = (form.to_owned(), repeat.map(str::to_owned));
        let i = match self.index.get(&k) {
            Some(&i) => i,
            None => {
                let name = match repeat {
                    Some(r) => format!("{form}-{r}.csv"),
                    None => format!("{form}.csv"),
                };
                let path = dir.join(format!("{}.csv", self.files.len()));
                let mut file = BufWriter::new(File::create(&path)?);
                // A byte-order mark, so spreadsheets read the file as UTF-8 (Vietnamese).
                file.write_all("\u{feff}".as_bytes())?;
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(file);
                w.write_record(header())?;
                self.files.push((name, w));
                self.index.insert(k, self.files.len() - 1);
                self.files.len() - 1
            }
        };
        Ok(&mut self.files[i].1)
    }

    fn add(&mut self, dir: &Path, layout: &Layout, row: &ExportRow) -> anyhow::Result<()> {
        let text = |c: Cell| match c {
            Cell::Empty => String::new(),
            Cell::Text(s) => defuse(&s).into_owned(),
            Cell::Number(n) => n.to_string(),
        };
        let mut cells: Vec<String> = record_cells(row, Lang::Vi, false)
            .into_iter()
            .map(text)
            .collect();
        cells.extend(
            layout
                .columns
                .iter()
                .map(|c| text(c.cell(row.data.get(&c.field.key), Lang::Vi, false))),
        );
        let header = || {
            record_headers()
                .iter()
                .map(|(k, _)| (*k).to_owned())
                .chain(layout.columns.iter().map(Column::key))
                .collect()
        };
        self.file(dir, &layout.key, None, header)?
            .write_record(&cells)?;
        for (field, columns) in &layout.repeats {
            let Some(rows) = row.data.get(&field.key).and_then(Value::as_array) else {
                continue;
            };
            let header = || {
                repeat_headers()
                    .iter()
                    .map(|(k, _)| (*k).to_owned())
                    .chain(columns.iter().map(Column::key))
                    .collect()
            };
            let w = self.file(dir, &layout.key, Some(&field.key), header)?;
            for (n, item) in rows.iter().enumerate() {
                let mut cells = vec![row.id.clone(), (n + 1).to_string()];
                cells.extend(
                    columns
                        .iter()
                        .map(|c| text(c.cell(item.get(&c.field.key), Lang::Vi, false))),
                );
                w.write_record(&cells)?;
            }
        }
        Ok(())
    }

    fn finish(self, dir: &Path, lang: Lang) -> anyhow::Result<PathBuf> {
        let path = dir.join("export.zip");
        let mut zip = zip::ZipWriter::new(BufWriter::new(File::create(&path)?));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            // Files past 4 GB need ZIP64; a million long records can come near it.
            .large_file(true);
        if self.files.is_empty() {
            // An empty export says so, as the workbook does.
            zip.start_file("README.txt", options)?;
            zip.write_all(nothing_matches().get(lang).as_bytes())?;
        }
        for (i, (name, w)) in self.files.into_iter().enumerate() {
            w.into_inner()
                .map_err(|e| anyhow::anyhow!("{}", e.error()))?
                .into_inner()
                .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
            zip.start_file(name, options)?;
            let mut part = File::open(dir.join(format!("{i}.csv")))?;
            std::io::copy(&mut part, &mut zip)?;
            drop(part);
            std::fs::remove_file(dir.join(format!("{i}.csv")))?;
        }
        zip.finish()?.flush()?;
        Ok(path)
    }
}

/// A workbook whose sheets are written row by row to temporary files.
struct XlsxBook {
    book: rust_xlsxwriter::Workbook,
    bold: rust_xlsxwriter::Format,
    /// (form key, repeat key) to (sheet index, next row).
    sheets: HashMap<(String, Option<String>), (usize, u32)>,
    names: Vec<String>,
}

/// Excel's sheet name rules: at most 31 characters, none of `[]:*?/\`, unique whatever the
/// case.
fn sheet_name(wanted: &str, used: &[String]) -> String {
    let clean: String = wanted
        .chars()
        .map(|c| match c {
            '/' | '\\' => '-',
            '[' | ']' | ':' | '*' | '?' => ' ',
            // Not even escaped: a control character in a sheet's name breaks the workbook's XML.
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    // Excel counts UTF-16 units, and refuses a blank name or one that starts or ends with an
    // apostrophe (trimmed until none is left at either end).
    let tidy = |s: &str| {
        let mut s = s.to_owned();
        loop {
            let t = s.trim().trim_matches('\'').to_owned();
            if t == s {
                return s;
            }
            s = t;
        }
    };
    let fits = |s: &str, room: usize| match tidy(utf16_prefix(s, room)) {
        t if t.is_empty() => "Sheet".to_owned(),
        t => t,
    };
    // "History" is Excel's own.
    let taken = |s: &str| {
        s.eq_ignore_ascii_case("history")
            || used.iter().any(|u| u.to_lowercase() == s.to_lowercase())
    };
    let first = fits(&clean, 31);
    if !taken(&first) {
        return first;
    }
    (2..)
        .map(|n| {
            let suffix = format!(" ({n})");
            format!("{}{suffix}", fits(&clean, 31 - suffix.len()))
        })
        .find(|s| !taken(s))
        .expect("some number is free")
}

impl XlsxBook {
    fn new(dir: &Path) -> anyhow::Result<XlsxBook> {
        let mut book = rust_xlsxwriter::Workbook::new();
        // Its sheets' temporary files go in the export's own directory, removed with it.
        book.set_tempdir(dir)?;
        book.use_zip_large_file(true);
        Ok(XlsxBook {
            book,
            bold: rust_xlsxwriter::Format::new().set_bold(),
            sheets: HashMap::new(),
            names: Vec::new(),
        })
    }

    /// The sheet for (form, repeat) and its next row, made with its header on first use.
    fn sheet(
        &mut self,
        k: (String, Option<String>),
        name: impl FnOnce() -> String,
        header: impl FnOnce() -> Vec<String>,
    ) -> anyhow::Result<(usize, u32)> {
        if let Some(&s) = self.sheets.get(&k) {
            return Ok(s);
        }
        let mut name = sheet_name(&name(), &self.names);
        let index = self.names.len();
        let sheet = self.book.add_worksheet_with_constant_memory()?;
        if sheet.set_name(&name).is_err() {
            // A name the library still refuses costs the sheet its name, never the export.
            name = sheet_name(&format!("Sheet {}", index + 1), &self.names);
            sheet.set_name(&name)?;
        }
        for (col, h) in header().iter().enumerate() {
            let col = u16::try_from(col).context("too many columns for a sheet")?;
            sheet.write_string_with_format(0, col, fit_utf16(h, XLSX_MAX_UNITS), &self.bold)?;
            sheet.set_column_width(col, (h.chars().count() as f64 + 2.0).clamp(10.0, 40.0))?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.names.push(name);
        self.sheets.insert(k, (index, 1));
        Ok((index, 1))
    }

    fn write_row(&mut self, k: &(String, Option<String>), cells: Vec<Cell>) -> anyhow::Result<()> {
        let (index, row) = self.sheets[k];
        if row >= XLSX_MAX_ROWS {
            return Err(TooManyRows.into());
        }
        let sheet = self.book.worksheet_from_index(index)?;
        for (col, cell) in cells.into_iter().enumerate() {
            let col = u16::try_from(col).context("too many columns for a sheet")?;
            match cell {
                Cell::Empty => {}
                // Always text (never a formula, whatever it starts with).
                Cell::Text(s) => {
                    sheet.write_string(row, col, fit_utf16(&s, XLSX_MAX_UNITS))?;
                }
                Cell::Number(n) => {
                    sheet.write_number(row, col, n)?;
                }
            }
        }
        self.sheets.get_mut(k).expect("sheet made").1 = row + 1;
        Ok(())
    }

    fn add(&mut self, layout: &Layout, row: &ExportRow, lang: Lang) -> anyhow::Result<()> {
        let k = (layout.key.clone(), None);
        self.sheet(
            k.clone(),
            || layout.title.clone(),
            || {
                record_headers()
                    .iter()
                    .map(|(_, t)| t.get(lang).to_owned())
                    .chain(layout.columns.iter().map(|c| c.label(lang)))
                    .collect()
            },
        )?;
        let mut cells = record_cells(row, lang, true);
        cells.extend(
            layout
                .columns
                .iter()
                .map(|c| c.cell(row.data.get(&c.field.key), lang, true)),
        );
        self.write_row(&k, cells)?;
        for (field, columns) in &layout.repeats {
            let Some(rows) = row.data.get(&field.key).and_then(Value::as_array) else {
                continue;
            };
            let k = (layout.key.clone(), Some(field.key.clone()));
            self.sheet(
                k.clone(),
                || format!("{} - {}", layout.title, field.label.get(lang)),
                || {
                    repeat_headers()
                        .iter()
                        .map(|(_, t)| t.get(lang).to_owned())
                        .chain(columns.iter().map(|c| c.label(lang)))
                        .collect()
                },
            )?;
            for (n, item) in rows.iter().enumerate() {
                let mut cells = vec![Cell::Text(row.id.clone()), Cell::Number((n + 1) as f64)];
                cells.extend(
                    columns
                        .iter()
                        .map(|c| c.cell(item.get(&c.field.key), lang, true)),
                );
                self.write_row(&k, cells)?;
            }
        }
        Ok(())
    }

    fn finish(mut self, dir: &Path, lang: Lang) -> anyhow::Result<PathBuf> {
        if self.names.is_empty() {
            // A workbook needs a sheet: an empty export says so.
            let sheet = self.book.add_worksheet();
            sheet.set_name(Text::new("Hồ sơ", "Records").get(lang))?;
            sheet.write_string(0, 0, nothing_matches().get(lang))?;
        }
        let path = dir.join("export.xlsx");
        let file = BufWriter::new(File::create(&path)?);
        self.book.save_to_writer(file)?;
        Ok(path)
    }
}

/// A GeoJSON FeatureCollection written feature by feature: one Point per GPS answer of a
/// record (its form's GPS fields, not those inside repeat groups).
struct GeoFile {
    path: PathBuf,
    out: BufWriter<File>,
    first: bool,
}

impl GeoFile {
    fn create(path: &Path) -> anyhow::Result<GeoFile> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(br#"{"type":"FeatureCollection","features":["#)?;
        Ok(GeoFile {
            path: path.to_owned(),
            out,
            first: true,
        })
    }

    fn add(&mut self, layout: &Layout, row: &ExportRow, lang: Lang) -> anyhow::Result<()> {
        for c in layout.columns.iter().filter(|c| c.part == Part::Latitude) {
            let Some(point) = row.data.get(&c.field.key) else {
                continue;
            };
            let num = |k: &str| point.get(k).and_then(Value::as_f64);
            let (Some(lat), Some(lon)) = (num("lat"), num("lon")) else {
                continue;
            };
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                continue;
            }
            let feature = serde_json::json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": {
                    "record_id": row.id,
                    "form": row.form_key,
                    "form_title": layout.title,
                    "field": c.field.key,
                    "field_label": c.field.label.get(lang),
                    "ward": row.ward,
                    "group": row.group,
                    "author": row.author,
                    "status": row.status.as_str(),
                    "filed_at": iso_local(row.filed_at),
                    "received_at": iso_local(row.received_at),
                    "accuracy_m": num("accuracy_m"),
                    "taken_at": point.get("at"),
                },
            });
            if !self.first {
                self.out.write_all(b",\n")?;
            }
            self.first = false;
            serde_json::to_writer(&mut self.out, &feature)?;
        }
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<PathBuf> {
        self.out.write_all(b"]}\n")?;
        self.out.flush()?;
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_keep_to_excels_rules_and_never_repeat() {
        let long = "Kiểm tra an toàn phòng cháy chữa cháy: cơ sở kinh doanh";
        let mut used = Vec::new();
        for _ in 0..3 {
            let n = sheet_name(long, &used);
            assert!(n.chars().count() <= 31, "{n}");
            assert!(!n.contains(':'), "{n}");
            assert!(!used.contains(&n), "{n} twice");
            used.push(n);
        }
        assert_eq!(used[1], "Kiểm tra an toàn phòng cháy (2)");
        assert_eq!(sheet_name("hồ sơ", &["Hồ Sơ".to_owned()]), "hồ sơ (2)");
        assert_eq!(sheet_name("[]", &[]), "Sheet");
        // Blank after trimming, apostrophes left after a first trim or after the cut, control
        // characters, Excel's reserved name: each still a name Excel takes.
        assert_eq!(sheet_name("' '", &[]), "Sheet");
        assert_eq!(sheet_name("' ' 'x", &[]), "x");
        let cut = sheet_name(&format!("{} ' ' tail", "x".repeat(27)), &[]);
        assert_eq!(cut, "x".repeat(27));
        assert_eq!(sheet_name("Ctl\u{1}\u{2} name", &[]), "Ctl name");
        assert_eq!(sheet_name("history", &[]), "history (2)");
        assert_eq!(sheet_name("Tin báo / phản ánh", &[]), "Tin báo - phản ánh");
        assert_eq!(sheet_name("a: b", &[]), "a b");
        // Excel counts UTF-16 units: 20 emoji are 40.
        let emoji = format!("Khẩn {}", "🚨".repeat(20));
        let name = sheet_name(&emoji, &[]);
        assert!(name.encode_utf16().count() <= 31, "{name}");
        let again = sheet_name(&emoji, &[name]);
        assert!(
            again.encode_utf16().count() <= 31 && again.ends_with("(2)"),
            "{again}"
        );
        // Cut just after an apostrophe, which cannot end a name.
        let name = sheet_name(&format!("{}'abc", "x".repeat(30)), &[]);
        assert_eq!(name, "x".repeat(30));
    }

    #[test]
    fn workbook_text_is_cut_to_excels_limit_in_utf16_units() {
        let long = format!("Báo cáo 🚨 {}", "a".repeat(40_000));
        let cut = fit_utf16(&long, XLSX_MAX_UNITS);
        assert_eq!(cut.encode_utf16().count(), XLSX_MAX_UNITS);
        assert!(cut.ends_with('…') && long.starts_with(cut.trim_end_matches('…')));
        let emoji = "🚨".repeat(20_000);
        assert!(fit_utf16(&emoji, XLSX_MAX_UNITS).encode_utf16().count() <= XLSX_MAX_UNITS);
        assert_eq!(fit_utf16("ngắn", XLSX_MAX_UNITS), "ngắn");
    }

    #[test]
    fn local_times_are_written_on_the_wards_clock_with_its_offset() {
        // 2025-01-31 16:30 UTC is 23:30 in Hà Nội.
        assert_eq!(iso_local(1_738_341_000_000), "2025-01-31T23:30+07:00");
    }

    #[test]
    fn csv_text_that_a_spreadsheet_would_run_is_defused() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-5"), "'-5");
        assert_eq!(defuse("Nhật Tân"), "Nhật Tân");
    }
}
