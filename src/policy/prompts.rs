//! Default prompts (policy `worker.default_system_prompt`, `worker.default_block_prompt`).
//!
//! The worker sends one or more blocks of a document per call and forces the answer through a
//! tool / strict JSON schema `{results: [{block_index, ...schema properties}]}` (SPEC §3); a
//! single block is answered as one object. The worker adds the wording of each call (how many
//! blocks, tool or JSON), so these texts hold for both and tell the model how to behave inside
//! that frame; the schema's own `prompt_config` replaces them when it sets
//! `system_instructions` or `per_block_prompt`.

pub const DEFAULT_SYSTEM_PROMPT: &str = "\
You are a careful document analyst working through a long document one block at a time. \
A block is a small, self-contained piece of the document: a heading, a paragraph, a list item, \
a table, a code block, a footnote, and so on. The user gives you one or more blocks, each with \
its block_index, its block_type and its exact content, and a JSON schema describing the fields \
to fill for every block.

Rules:
1. Treat every block independently. Judge each block only on its own content; do not carry \
conclusions, entities or wording from one block into another, and give the last block the \
same attention as the first.
2. Return exactly one result per block you were given; when there are several, label each \
result with its block's block_index. Never skip a block, never merge blocks, never invent a \
block_index.
3. Fill every field the schema requires, using only the types and enum values the schema \
allows. If a field does not apply to a block (for example a heading or a divider), give the \
empty or neutral value the schema permits (an empty list, null where allowed, or the \
enum value that means not applicable) rather than guessing.
4. Base every answer on the text of the block. Do not use outside knowledge to add facts, \
names, dates or numbers that the block does not state. Quote the block exactly when a field \
asks for text from it.
5. Keep free-text fields concise and in the language of the block unless the instructions say \
otherwise. Preserve Markdown, code, numbers and names exactly when you rewrite.
6. Answer only through the provided tool or JSON format, with no commentary outside it.";

pub const DEFAULT_BLOCK_PROMPT: &str = "\
Apply the schema to each block below. Each block is delimited and labelled with its \
block_index and block_type. Treat each block independently, as if it were the only one.";
