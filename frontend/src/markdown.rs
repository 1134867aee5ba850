//! Just enough Markdown to show a rule's documentation: headings, paragraphs, bullet
//! lists, fenced code blocks and inline `code`.
//!
//! Rule docs are written by the project under fixed headings (see `rampart_core::rules`),
//! so a small reader that turns them into plain blocks is all the page needs; the page
//! renders the blocks as elements (never as HTML strings), so nothing in a doc can inject
//! markup.

/// One block of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    List(Vec<String>),
    Code { language: String, text: String },
}

/// A run of inline text: plain, or `code`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline<'a> {
    Text(&'a str),
    Code(&'a str),
}

/// Splits a document into blocks.
pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut lines = markdown.lines();
    let flush = |paragraph: &mut Vec<&str>, list: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(paragraph.join(" ")));
            paragraph.clear();
        }
        if !list.is_empty() {
            blocks.push(Block::List(std::mem::take(list)));
        }
    };
    while let Some(line) = lines.next() {
        let trimmed = line.trim_end();
        if let Some(language) = trimmed.strip_prefix("```") {
            flush(&mut paragraph, &mut list, &mut blocks);
            let mut text = String::new();
            for code_line in lines.by_ref() {
                if code_line.trim_end() == "```" {
                    break;
                }
                text.push_str(code_line);
                text.push('\n');
            }
            blocks.push(Block::Code { language: language.trim().to_string(), text });
        } else if let Some(heading) = trimmed.strip_prefix('#') {
            flush(&mut paragraph, &mut list, &mut blocks);
            blocks.push(Block::Heading(heading.trim_start_matches('#').trim().to_string()));
        } else if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            if !paragraph.is_empty() {
                flush(&mut paragraph, &mut list, &mut blocks);
            }
            list.push(item.trim().to_string());
        } else if trimmed.trim().is_empty() {
            flush(&mut paragraph, &mut list, &mut blocks);
        } else if !list.is_empty() && line.starts_with("  ") {
            // A continuation line of the last list item.
            if let Some(last) = list.last_mut() {
                last.push(' ');
                last.push_str(trimmed.trim());
            }
        } else {
            if !list.is_empty() {
                flush(&mut paragraph, &mut list, &mut blocks);
            }
            paragraph.push(trimmed.trim());
        }
    }
    flush(&mut paragraph, &mut list, &mut blocks);
    blocks
}

/// Splits a line of text at backticks into plain and code runs.
pub fn inline(text: &str) -> Vec<Inline<'_>> {
    let mut runs = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        let Some(length) = rest[start + 1..].find('`') else { break };
        if start > 0 {
            runs.push(Inline::Text(&rest[..start]));
        }
        runs.push(Inline::Code(&rest[start + 1..start + 1 + length]));
        rest = &rest[start + length + 2..];
    }
    if !rest.is_empty() {
        runs.push(Inline::Text(rest));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_doc_reads_as_blocks() {
        let doc = "## What it checks\nEvery container:\n`privileged` must be unset.\n\n## Example\n```yaml\nkind: Pod\n  spec: {}\n```\n\n## References\n- PSS, baseline\n- CIS 5.2.2\n  (continued)\n";
        assert_eq!(
            blocks(doc),
            [
                Block::Heading("What it checks".into()),
                Block::Paragraph("Every container: `privileged` must be unset.".into()),
                Block::Heading("Example".into()),
                Block::Code { language: "yaml".into(), text: "kind: Pod\n  spec: {}\n".into() },
                Block::Heading("References".into()),
                Block::List(vec!["PSS, baseline".into(), "CIS 5.2.2 (continued)".into()]),
            ]
        );
    }

    #[test]
    fn every_rule_doc_has_its_examples_as_code() {
        for rule in rampart_core::RULES.iter() {
            let blocks = blocks(&rule.documentation());
            let code = blocks.iter().filter(|block| matches!(block, Block::Code { .. })).count();
            assert!(code >= 2, "{}: {code} code blocks", rule.id);
        }
    }

    #[test]
    fn backticks_become_code_runs() {
        assert_eq!(
            inline("Remove `privileged: true` from `securityContext`."),
            [
                Inline::Text("Remove "),
                Inline::Code("privileged: true"),
                Inline::Text(" from "),
                Inline::Code("securityContext"),
                Inline::Text("."),
            ]
        );
        assert_eq!(inline("an odd ` backtick"), [Inline::Text("an odd ` backtick")]);
    }
}
