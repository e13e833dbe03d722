//! Reading CloudTrail input files for `simulate`: events, records, log files
//! and lists, plain or gzipped, streamed one record at a time.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use anyhow::{Context, Result, bail};
use flate2::read::MultiGzDecoder;
use handler::event::{API_CALL, SIGN_IN};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

/// One event read from an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub file: String,
    /// Position of the record in a log file or list, else 0.
    pub index: usize,
    pub envelope: Value,
}

/// Most bytes one event or record may take in an input file: 64 times the
/// largest event EventBridge delivers (256 KB), so only absurd input is refused.
pub(crate) const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// A record of an input file that is not an event trailwatch can judge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: record {index}: {reason}")]
pub struct BadRecord {
    pub file: String,
    pub index: usize,
    pub reason: String,
}

/// Reads `path` (`-` for standard input), plain or gzipped (several members
/// read as one, as `cat a.gz b.gz` makes), with or without a UTF-8 byte-order
/// mark: an EventBridge event, a raw CloudTrail record, a CloudTrail log file
/// (`{"Records": [...]}`), or a list. Records are streamed to `each` one at a
/// time, so memory stays bounded by the largest record
/// ([`MAX_RECORD_BYTES`]); a record that is not an event is handed over as a
/// [`BadRecord`] and the others still are. Fails when the file cannot be read or
/// is not JSON, or when `each` fails.
pub fn read_each(
    path: &str,
    each: &mut dyn FnMut(Result<Input, BadRecord>) -> Result<()>,
) -> Result<()> {
    let source: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("{path}: cannot read"))?)
    };
    let mut reader = BufReader::new(source);
    let gzipped = reader
        .fill_buf()
        .with_context(|| format!("{path}: cannot read"))?
        .starts_with(&[0x1f, 0x8b]);
    let decoded: Box<dyn Read> = if gzipped {
        Box::new(MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    let budget = RecordBudget::default();
    // Counted in the buffer's bulk reads, so the count runs at most one buffer
    // ahead of the parser: precise enough for a limit of megabytes.
    let mut limited = BufReader::new(Limited {
        inner: decoded,
        budget: budget.clone(),
    });
    skip_byte_order_mark(&mut limited).with_context(|| format!("{path}: cannot read"))?;
    let mut deserializer = serde_json::Deserializer::from_reader(limited);
    let mut visitor = Items {
        file: path,
        budget: &budget,
        each,
        next: 0,
        failure: None,
    };
    // Concatenated files hold one JSON document after another.
    loop {
        budget.restart();
        let outcome = serde::Deserializer::deserialize_any(&mut deserializer, &mut visitor);
        if let Some(failure) = visitor.failure.take() {
            return Err(failure);
        }
        outcome.map_err(|e| input_error(path, &e))?;
        match deserializer.end() {
            Ok(()) => return Ok(()),
            // `end` only peeks: another document follows.
            Err(e) if e.to_string().starts_with("trailing characters") => {}
            Err(e) => return Err(input_error(path, &e)),
        }
    }
}

/// The error for input that is not JSON, or too large, naming the file.
fn input_error(path: &str, error: &serde_json::Error) -> anyhow::Error {
    if error.io_error_kind() == Some(std::io::ErrorKind::FileTooLarge) {
        return anyhow::anyhow!(
            "{path}: a record is larger than {} MiB; refusing to read it (a CloudTrail record is at most a few hundred KB)",
            MAX_RECORD_BYTES / 1024 / 1024
        );
    }
    if error.is_io() {
        return anyhow::anyhow!("{path}: cannot read: {error}");
    }
    anyhow::anyhow!("{path}: invalid JSON: {error}")
}

fn skip_byte_order_mark(reader: &mut impl BufRead) -> std::io::Result<()> {
    const MARK: &[u8] = b"\xef\xbb\xbf";
    // A mark split across reads cannot happen: it opens the first buffer.
    if reader.fill_buf()?.starts_with(MARK) {
        reader.consume(MARK.len());
    }
    Ok(())
}

/// Bytes read since the current record began, shared by the reader that counts
/// them and the visitor that starts each record.
#[derive(Debug, Clone, Default)]
struct RecordBudget(Rc<Cell<u64>>);

impl RecordBudget {
    fn restart(&self) {
        self.0.set(0);
    }
}

/// A reader failing with `FileTooLarge` once one record exceeds [`MAX_RECORD_BYTES`].
struct Limited<R> {
    inner: R,
    budget: RecordBudget,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let used = self.budget.0.get() + read as u64;
        self.budget.0.set(used);
        if used > MAX_RECORD_BYTES {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        Ok(read)
    }
}

/// Streams the items of an input file to a callback. Hand-written because
/// serde has no streaming form of "an array, or an object whose `Records` is an
/// array, or any other value": each must be told apart by its first tokens.
struct Items<'a> {
    file: &'a str,
    budget: &'a RecordBudget,
    each: &'a mut dyn FnMut(Result<Input, BadRecord>) -> Result<()>,
    /// The index of the next item in the file.
    next: usize,
    /// Why `each` stopped the reading.
    failure: Option<anyhow::Error>,
}

impl Items<'_> {
    fn hand_over<E: serde::de::Error>(&mut self, item: Value) -> Result<(), E> {
        let index = self.next;
        self.next += 1;
        let input = envelope(item)
            .map_err(|e| e.to_string())
            .map(|envelope| Input {
                file: self.file.to_owned(),
                index,
                envelope,
            })
            .map_err(|reason| BadRecord {
                file: self.file.to_owned(),
                index,
                reason,
            });
        (self.each)(input).map_err(|error| {
            self.failure = Some(error);
            E::custom("stopped")
        })
    }

    fn stream<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        self.budget.restart();
        while let Some(item) = seq.next_element::<Value>()? {
            self.hand_over(item)?;
            self.budget.restart();
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for &mut Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an event, a CloudTrail record, a CloudTrail log file or a list of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.stream(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = serde_json::Map::new();
        let mut records = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" {
                map.next_value_seed(RecordsSeed(&mut *self))?;
                records = true;
            } else {
                fields.insert(key, map.next_value()?);
            }
        }
        if records {
            return Ok(());
        }
        self.hand_over(Value::Object(fields))
    }
}

/// The `Records` value of a log file, streamed.
struct RecordsSeed<'a, 'b>(&'a mut Items<'b>);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(RecordsVisitor(self.0))
    }
}

struct RecordsVisitor<'a, 'b>(&'a mut Items<'b>);

impl<'de> Visitor<'de> for RecordsVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("`Records` as a list of CloudTrail records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.stream(seq)
    }
}

/// An EventBridge envelope as is; a raw CloudTrail record wrapped as EventBridge wraps it.
fn envelope(item: Value) -> Result<Value> {
    if item.get("detail").is_some() {
        return Ok(item);
    }
    let Some(event_source) = item.get("eventSource").and_then(Value::as_str) else {
        bail!(
            "neither an EventBridge event (no `detail`) nor a CloudTrail record (no `eventSource`)"
        );
    };
    let label = event_source.split('.').next().unwrap_or(event_source);
    let detail_type = if item["eventName"] == "ConsoleLogin" {
        SIGN_IN[0]
    } else {
        API_CALL
    };
    Ok(json!({
        "version": "0",
        "id": item.get("eventID").cloned().unwrap_or(json!("simulated")),
        "detail-type": detail_type,
        "source": format!("aws.{label}"),
        "account": item.get("recipientAccountId").or(item.pointer("/userIdentity/accountId")).cloned().unwrap_or(Value::Null),
        "time": item.get("eventTime").cloned().unwrap_or(Value::Null),
        "region": item.get("awsRegion").cloned().unwrap_or(Value::Null),
        "resources": [],
        "detail": item,
    }))
}
