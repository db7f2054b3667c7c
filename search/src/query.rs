//! What analysts ask for, and turning their query text into a tantivy query.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, Occur, Query, QueryParser, QueryParserError, RangeQuery, TermQuery,
};
use tantivy::query_grammar::{self, UserInputAst, UserInputLeaf};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;
use time::OffsetDateTime;

use crate::error::{Result, SearchError};
use crate::fields::to_tantivy;
use crate::schema::{name, Fields};

/// The largest page a search returns.
pub const MAX_LIMIT: usize = 1000;
/// How deep pagination goes: `offset + limit` at most.
pub const MAX_WINDOW: usize = 100_000;
/// The longest query text accepted.
pub const MAX_QUERY_BYTES: usize = 4096;
/// Parentheses nesting, plus `NOT`s, at most: the parser is recursive.
const MAX_NESTING: usize = 24;
/// The page size of [`EventQuery::default`].
const DEFAULT_LIMIT: usize = 50;

/// A search: query text, time range and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    /// The query (see the crate docs); `None` or blank matches everything.
    pub text: Option<String>,
    /// Only events at or after this `@timestamp`.
    pub from: Option<OffsetDateTime>,
    /// Only events before this `@timestamp`.
    pub to: Option<OffsetDateTime>,
    /// Page size, at most [`MAX_LIMIT`]; 0 returns only the total.
    pub limit: usize,
    /// Events to skip; `offset + limit` is at most [`MAX_WINDOW`].
    pub offset: usize,
    /// Only events whose `organization.id` is one of these (ASCII case
    /// ignored): a tenant's scope. `None` is unrestricted; an empty list
    /// matches nothing.
    pub orgs: Option<Vec<String>>,
}

impl Default for EventQuery {
    /// Everything, first page of 50.
    fn default() -> Self {
        EventQuery {
            text: None,
            from: None,
            to: None,
            limit: DEFAULT_LIMIT,
            offset: 0,
            orgs: None,
        }
    }
}

impl EventQuery {
    /// A query for `text`, over all time, first page of 50.
    pub fn text(text: impl Into<String>) -> Self {
        EventQuery {
            text: Some(text.into()),
            ..EventQuery::default()
        }
    }

    /// The same query restricted to `from <= @timestamp < to`.
    #[must_use]
    pub fn between(mut self, from: Option<OffsetDateTime>, to: Option<OffsetDateTime>) -> Self {
        self.from = from;
        self.to = to;
        self
    }

    /// The same query for another page.
    #[must_use]
    pub fn page(mut self, offset: usize, limit: usize) -> Self {
        self.offset = offset;
        self.limit = limit;
        self
    }

    /// Checks the page bounds.
    pub(crate) fn check_page(&self) -> Result<()> {
        let reason = if self.limit > MAX_LIMIT {
            format!("limit is at most {MAX_LIMIT}")
        } else if self.offset.saturating_add(self.limit) > MAX_WINDOW {
            format!("offset + limit is at most {MAX_WINDOW}: narrow the query or the time range")
        } else {
            return Ok(());
        };
        Err(SearchError::Page {
            offset: self.offset,
            limit: self.limit,
            reason,
        })
    }

    /// The tantivy query: the text query and the time range, both required.
    pub(crate) fn to_query(&self, parser: &QueryParser, fields: &Fields) -> Result<Box<dyn Query>> {
        let text = match self.text.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) => Some(parse(parser, q)?),
        };
        let range = match (self.from, self.to) {
            (None, None) => None,
            (from, to) => {
                let bound =
                    |t: OffsetDateTime| Term::from_field_date(fields.timestamp, to_tantivy(t));
                let lower = from.map_or(Bound::Unbounded, |t| Bound::Included(bound(t)));
                let upper = to.map_or(Bound::Unbounded, |t| Bound::Excluded(bound(t)));
                Some(Box::new(RangeQuery::new(lower, upper)) as Box<dyn Query>)
            }
        };
        let orgs = self.orgs.as_ref().map(|orgs| {
            let any: Vec<(Occur, Box<dyn Query>)> = orgs
                .iter()
                .map(|o| {
                    let term = org_term(fields, o);
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            Box::new(BooleanQuery::new(any)) as Box<dyn Query>
        });
        let clauses: Vec<(Occur, Box<dyn Query>)> = [text, range, orgs]
            .into_iter()
            .flatten()
            .map(|q| (Occur::Must, q))
            .collect();
        Ok(match clauses.len() {
            0 => Box::new(AllQuery),
            _ => Box::new(BooleanQuery::new(clauses)),
        })
    }
}

/// The index term for `organization.id` = `org` (the field index is
/// lowercased keywords).
fn org_term(fields: &Fields, org: &str) -> Term {
    let mut term = Term::from_field_json_path(fields.fields, ORG_FIELD, true);
    term.append_type_and_str(&org.trim().to_lowercase());
    term
}

/// The field that carries an event's tenant.
const ORG_FIELD: &str = "organization.id";

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// How many events match in all.
    pub total: u64,
    /// The page: `Event::to_json()` objects, newest `@timestamp` first (ties:
    /// highest seq first).
    pub events: Vec<serde_json::Value>,
}

/// Parses analyst query text (not blank) into a tantivy query.
pub(crate) fn parse(parser: &QueryParser, q: &str) -> Result<Box<dyn Query>> {
    if q.len() > MAX_QUERY_BYTES {
        return Err(SearchError::query(
            q,
            format!("the query is longer than {MAX_QUERY_BYTES} bytes"),
        ));
    }
    if nesting(q) > MAX_NESTING {
        return Err(SearchError::query(
            q,
            format!("too many nested parentheses or NOTs (at most {MAX_NESTING})"),
        ));
    }
    let ast = query_grammar::parse_query(q).map_err(|_| SearchError::query(q, syntax_reason(q)))?;
    let ast = rewrite(ast).map_err(|reason| SearchError::query(q, reason))?;
    let (query, errors) = parser.build_query_from_user_input_ast_lenient(ast);
    // A purely negative query (`NOT user.name:root`) means "everything
    // else": the parser already added the match-all clause it needs.
    match errors
        .into_iter()
        .find(|e| !matches!(e, QueryParserError::AllButQueryForbidden))
    {
        None => Ok(query),
        Some(e) => Err(SearchError::query(q, describe(&e))),
    }
}

/// Why the grammar rejected `q`, as precisely as the lenient parser says.
fn syntax_reason(q: &str) -> String {
    let (_, errors) = query_grammar::parse_query_lenient(q);
    match errors.first() {
        Some(e) => format!("syntax error at character {}: {}", e.pos, e.message),
        None => "syntax error (check quotes, parentheses and field:value pairs)".to_string(),
    }
}

/// A query parser error in the analyst's terms.
fn describe(e: &QueryParserError) -> String {
    match e {
        QueryParserError::FieldDoesNotExist(f) => format!("unknown field {f:?}"),
        QueryParserError::FieldNotIndexed(f) => format!("field {f:?} is not searchable"),
        other => other.to_string(),
    }
}

/// The deepest recursion the grammar needs for `q`, roughly: parentheses
/// nesting outside quotes plus the number of `NOT`s.
fn nesting(q: &str) -> usize {
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut nots = 0usize;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut word = String::new();
    for c in q.chars().chain(std::iter::once(' ')) {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            _ if in_quotes => {}
            '(' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !in_quotes && (c.is_whitespace() || c == '(' || c == ')') {
            if word == "NOT" {
                nots += 1;
            }
            word.clear();
        } else if word.len() < 4 {
            // Enough to tell `NOT` from longer words.
            word.push(c);
        }
    }
    max_depth + nots
}

/// Where a field name written in a query points.
enum Target {
    /// A schema field, by name.
    Schema(&'static str),
    /// `message` and `original`: `event.original` is the `original` field,
    /// or `message` when they were the same.
    MessageOrOriginal,
    /// A normalized field under `fields`.
    Normalized,
}

fn target(field: &str) -> Target {
    match field {
        "message" => Target::Schema(name::MESSAGE),
        "@timestamp" => Target::Schema(name::TIMESTAMP),
        "event.original" => Target::MessageOrOriginal,
        _ => Target::Normalized,
    }
}

/// Maps the analyst's field names onto the schema, and gives negations
/// something to subtract from.
///
/// The grammar reads `a AND NOT b` as `+a +(-b)`, and a clause of only
/// exclusions matches nothing in tantivy. So an exclusions-only clause
/// required by its parent is spliced into it (`+a -b`), and any other one
/// becomes "everything except" (`a OR NOT b` is `a OR (* -b)`).
fn rewrite(ast: UserInputAst) -> Result<UserInputAst, String> {
    rewrite_open(ast).map(complete)
}

/// [`rewrite`], leaving an exclusions-only clause as it is.
fn rewrite_open(ast: UserInputAst) -> Result<UserInputAst, String> {
    Ok(match ast {
        UserInputAst::Clause(children) => {
            let mut out = Vec::with_capacity(children.len());
            for (occur, child) in children {
                match rewrite_open(child)? {
                    // No occur means required: the parser is conjunctive.
                    UserInputAst::Clause(grand)
                        if matches!(occur, None | Some(Occur::Must)) && only_exclusions(&grand) =>
                    {
                        out.extend(grand);
                    }
                    child => out.push((occur, complete(child))),
                }
            }
            UserInputAst::Clause(out)
        }
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(rewrite(*inner)?), boost),
        UserInputAst::Leaf(leaf) => rewrite_leaf(*leaf)?,
    })
}

/// Makes an exclusions-only clause "everything except".
fn complete(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(mut children) if only_exclusions(&children) => {
            children.push((Some(Occur::Must), UserInputLeaf::All.into()));
            UserInputAst::Clause(children)
        }
        other => other,
    }
}

/// Whether a clause has children and they are all exclusions.
fn only_exclusions(children: &[(Option<Occur>, UserInputAst)]) -> bool {
    !children.is_empty()
        && children
            .iter()
            .all(|(occur, _)| *occur == Some(Occur::MustNot))
}

fn rewrite_leaf(leaf: UserInputLeaf) -> Result<UserInputAst, String> {
    let field = match &leaf {
        UserInputLeaf::Literal(l) => l.field_name.clone(),
        UserInputLeaf::Range { field, .. } | UserInputLeaf::Set { field, .. } => field.clone(),
        UserInputLeaf::Exists { field } => {
            return Err(format!(
                "`{field}:*` (field exists) is not supported; search for a value instead"
            ))
        }
        UserInputLeaf::All => None,
    };
    let Some(field) = field else {
        return Ok(leaf.into());
    };
    let target = target(&field);
    if matches!(target, Target::Normalized) {
        match &leaf {
            UserInputLeaf::Range { .. } => {
                return Err(format!(
                    "range queries on {field:?} are not supported (only on @timestamp)"
                ))
            }
            UserInputLeaf::Literal(l) if l.prefix => {
                return Err(format!(
                    "prefix matching on {field:?} is not supported: field values match exactly"
                ))
            }
            _ => {}
        }
    }
    Ok(match target {
        Target::Schema(name) => with_field(leaf, name.to_string()).into(),
        Target::Normalized => with_field(leaf, format!("{}.{field}", name::FIELDS)).into(),
        Target::MessageOrOriginal => UserInputAst::Clause(vec![
            (
                Some(Occur::Should),
                with_field(leaf.clone(), name::MESSAGE.to_string()).into(),
            ),
            (
                Some(Occur::Should),
                with_field(leaf, name::ORIGINAL.to_string()).into(),
            ),
        ]),
    })
}

fn with_field(leaf: UserInputLeaf, name: String) -> UserInputLeaf {
    match leaf {
        UserInputLeaf::Literal(mut l) => {
            l.field_name = Some(name);
            UserInputLeaf::Literal(l)
        }
        UserInputLeaf::Range { lower, upper, .. } => UserInputLeaf::Range {
            field: Some(name),
            lower,
            upper,
        },
        UserInputLeaf::Set { elements, .. } => UserInputLeaf::Set {
            field: Some(name),
            elements,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_parens_and_nots_outside_quotes() {
        assert_eq!(nesting("a b"), 0);
        assert_eq!(nesting("(a (b))"), 2);
        assert_eq!(nesting("NOT a AND NOT (b)"), 3);
        assert_eq!(nesting("\"((( NOT\" a"), 0);
        assert_eq!(nesting("NOTICE \\( x"), 0);
    }

    #[test]
    fn page_bounds() {
        assert!(EventQuery::default().check_page().is_ok());
        assert!(EventQuery::default()
            .page(0, MAX_LIMIT)
            .check_page()
            .is_ok());
        assert!(EventQuery::default()
            .page(0, MAX_LIMIT + 1)
            .check_page()
            .is_err());
        assert!(EventQuery::default()
            .page(MAX_WINDOW - 10, 10)
            .check_page()
            .is_ok());
        let err = EventQuery::default()
            .page(MAX_WINDOW, 1)
            .check_page()
            .expect_err("too deep");
        assert!(err.is_user_error());
        assert!(EventQuery::default()
            .page(usize::MAX, 10)
            .check_page()
            .is_err());
    }

    #[test]
    fn field_names_map_onto_the_schema() {
        let ast = query_grammar::parse_query("user.name:root message:x foo").expect("parse");
        let ast = rewrite(ast).expect("rewrite");
        let text = format!("{ast:?}");
        assert!(text.contains("\"fields.user.name\":root"), "{text}");
        assert!(text.contains("\"message\":x"), "{text}");
        assert!(rewrite(query_grammar::parse_query("user.name:*").expect("parse")).is_err());
        assert!(
            rewrite(query_grammar::parse_query("source.port:[1 TO 5]").expect("parse")).is_err()
        );
    }

    #[test]
    fn exclusions_are_spliced_or_completed() {
        let show = |q: &str| {
            let ast = rewrite(query_grammar::parse_query(q).expect("parse")).expect("rewrite");
            format!("{ast:?}")
        };
        assert_eq!(show("a AND NOT c"), "(+a -c)");
        assert_eq!(show("(a OR b) AND NOT c"), "(+(?a ?b) -c)");
        assert_eq!(show("NOT c"), "(-c +*)");
        assert_eq!(show("a OR NOT c"), "(?a ?(-c +*))");
        assert_eq!(show("NOT (NOT c)"), "(-(-c +*) +*)");
    }
}
