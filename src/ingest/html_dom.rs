//! A small DOM built by html5ever's tree builder, where each element also knows the byte range
//! of its markup in the source. html5ever reports no byte offsets, so the source is fed to the
//! tokenizer in pieces that each end just after a `>`: a tag token is emitted while the piece
//! holding its `>` is fed, which places the tag (and text, which is flushed at the next `<`) in
//! the source. An element ends where the next node after it in document order starts (the tree
//! builder does not report every implied close), less trailing whitespace and end tags of its
//! ancestors.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
use html5ever::tree_builder::{
    ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{Attribute, ExpandedName, QualName, TokenizerResult};

pub(crate) type Handle = Rc<Node>;

/// Deepest element nesting a document may have (issue 20 item 4). html5ever's tree builder
/// scans its stack of open elements for every tag, so nesting costs time quadratic in depth
/// (100,000 nested `<div>`s took 76 s, then the recursive walks overflowed the stack). No real
/// page nests anywhere near this deep; past it the document is refused, naming the depth and
/// where it was reached, after at most `MAX_DEPTH` levels of work: linear in the input.
pub const MAX_DEPTH: u32 = 512;

/// Why a document could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// Byte offset of the tag that went past [`MAX_DEPTH`].
    pub at: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "its elements are nested more than {MAX_DEPTH} levels deep (the tag at byte {} is \
             level {}); Blockwise refuses documents nested deeper than {MAX_DEPTH} rather than \
             risk stalling on them: nothing was stored",
            self.at,
            MAX_DEPTH + 1
        )
    }
}

#[derive(Debug)]
pub(crate) enum Kind {
    Document,
    Element {
        name: QualName,
        attrs: RefCell<Vec<Attribute>>,
    },
    Text(RefCell<String>),
    /// Comments, doctypes, processing instructions: never content.
    Other,
}

#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub children: RefCell<Vec<Handle>>,
    parent: RefCell<Option<Weak<Node>>>,
    /// Byte range of the element's markup in the source (start tag to end tag).
    pub src: Cell<(usize, usize)>,
    /// Elements above this one when it was inserted (the document is 0).
    depth: Cell<u32>,
}

impl Node {
    fn new(kind: Kind, at: usize) -> Handle {
        Rc::new(Node {
            kind,
            children: RefCell::new(Vec::new()),
            parent: RefCell::new(None),
            src: Cell::new((at, at)),
            depth: Cell::new(0),
        })
    }

    /// The local name of an element (`""` for other nodes).
    pub fn name(&self) -> &str {
        match &self.kind {
            Kind::Element { name, .. } => &name.local,
            _ => "",
        }
    }

    /// Replace the value of attribute `key` where the element has it.
    pub fn set_attr(&self, key: &str, value: &str) {
        if let Kind::Element { attrs, .. } = &self.kind {
            for a in attrs.borrow_mut().iter_mut() {
                if &*a.name.local == key {
                    a.value = StrTendril::from(value);
                }
            }
        }
    }

    pub fn attr(&self, key: &str) -> Option<String> {
        match &self.kind {
            Kind::Element { attrs, .. } => attrs
                .borrow()
                .iter()
                .find(|a| &*a.name.local == key)
                .map(|a| a.value.to_string()),
            _ => None,
        }
    }

    pub fn parent(&self) -> Option<Handle> {
        self.parent.borrow().as_ref().and_then(Weak::upgrade)
    }
}

/// The tree sink: the document plus where the tokenizer is in the source.
struct Sink<'s> {
    source: &'s str,
    document: Handle,
    /// The piece being fed: it ends just after a `>`, i.e. at the end of the current tag.
    piece_start: Cell<usize>,
    piece_end: Cell<usize>,
    /// Set when an element went past [`MAX_DEPTH`]: parsing stops after the current piece.
    too_deep: Cell<Option<TooDeep>>,
}

impl Sink<'_> {
    /// Where the current tag starts: the last `<` before the end of the piece.
    fn tag_start(&self) -> usize {
        let end = self.piece_end.get();
        self.source[..end].rfind('<').unwrap_or(end)
    }

    fn detach(&self, node: &Handle) {
        if let Some(parent) = node.parent() {
            parent
                .children
                .borrow_mut()
                .retain(|c| !Rc::ptr_eq(c, node));
        }
        *node.parent.borrow_mut() = None;
    }

    fn append_text(&self, parent: &Handle, text: &str, before: Option<usize>) {
        let mut children = parent.children.borrow_mut();
        let prev = match before {
            Some(i) if i > 0 => children.get(i - 1),
            Some(_) => None,
            None => children.last(),
        };
        if let Some(prev) = prev {
            if let Kind::Text(t) = &prev.kind {
                t.borrow_mut().push_str(text);
                return;
            }
        }
        let node = Node::new(
            Kind::Text(RefCell::new(text.to_string())),
            self.piece_start.get(),
        );
        *node.parent.borrow_mut() = Some(Rc::downgrade(parent));
        match before {
            Some(i) => children.insert(i, node),
            None => children.push(node),
        }
    }

    fn insert(&self, parent: &Handle, child: NodeOrText<Handle>, before: Option<usize>) {
        match child {
            NodeOrText::AppendText(t) => self.append_text(parent, &t, before),
            NodeOrText::AppendNode(node) => {
                self.detach(&node);
                let depth = parent.depth.get().saturating_add(1);
                node.depth.set(depth);
                if depth > MAX_DEPTH {
                    let first = self.too_deep.take().unwrap_or(TooDeep {
                        at: self.tag_start(),
                    });
                    self.too_deep.set(Some(first));
                }
                *node.parent.borrow_mut() = Some(Rc::downgrade(parent));
                let mut children = parent.children.borrow_mut();
                match before {
                    Some(i) => {
                        let i = i.min(children.len());
                        children.insert(i, node)
                    }
                    None => children.push(node),
                }
            }
        }
    }
}

impl TreeSink for Sink<'_> {
    type Handle = Handle;
    type Output = Handle;
    type ElemName<'a>
        = ExpandedName<'a>
    where
        Self: 'a;

    fn finish(self) -> Handle {
        self.document
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        self.document.clone()
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        match &target.kind {
            Kind::Element { name, .. } => name.expanded(),
            // The tree builder only asks for names of elements.
            _ => unreachable!("elem_name of a non-element"),
        }
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> Handle {
        Node::new(
            Kind::Element {
                name,
                attrs: RefCell::new(attrs),
            },
            self.tag_start(),
        )
    }

    fn create_comment(&self, _text: StrTendril) -> Handle {
        Node::new(Kind::Other, 0)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Node::new(Kind::Other, 0)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.insert(parent, child, None);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        if element.parent().is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        target.clone()
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        let Some(parent) = sibling.parent() else {
            return;
        };
        let index = parent
            .children
            .borrow()
            .iter()
            .position(|c| Rc::ptr_eq(c, sibling));
        if let NodeOrText::AppendNode(n) = &child {
            self.detach(n);
        }
        let index = parent
            .children
            .borrow()
            .iter()
            .position(|c| Rc::ptr_eq(c, sibling))
            .or(index);
        self.insert(&parent, child, index);
    }

    fn add_attrs_if_missing(&self, target: &Handle, add: Vec<Attribute>) {
        if let Kind::Element { attrs, .. } = &target.kind {
            let mut attrs = attrs.borrow_mut();
            for a in add {
                if !attrs.iter().any(|x| x.name == a.name) {
                    attrs.push(a);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &Handle) {
        self.detach(target);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let children: Vec<Handle> = node.children.borrow_mut().drain(..).collect();
        for c in children {
            *c.parent.borrow_mut() = Some(Rc::downgrade(new_parent));
            new_parent.children.borrow_mut().push(c);
        }
    }
}

/// Parse `source` into a document whose elements know their source byte ranges; refused when
/// it nests deeper than [`MAX_DEPTH`].
pub(crate) fn parse(source: &str) -> Result<Handle, TooDeep> {
    let sink = Sink {
        source,
        document: Node::new(Kind::Document, 0),
        piece_start: Cell::new(0),
        piece_end: Cell::new(0),
        too_deep: Cell::new(None),
    };
    let builder = TreeBuilder::new(sink, TreeBuilderOpts::default());
    let tokenizer = Tokenizer::new(builder, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut from = 0usize;
    while from < source.len() {
        let to = source[from..]
            .find('>')
            .map(|i| from + i + 1)
            .unwrap_or(source.len());
        tokenizer.sink.sink.piece_start.set(from);
        tokenizer.sink.sink.piece_end.set(to);
        queue.push_back(StrTendril::from_slice(&source[from..to]));
        // A script end or an encoding hint pauses the tokenizer; the text is UTF-8 already.
        while !matches!(tokenizer.feed(&queue), TokenizerResult::Done) {}
        if let Some(deep) = tokenizer.sink.sink.too_deep.take() {
            return Err(deep);
        }
        from = to;
    }
    tokenizer.end();
    if let Some(deep) = tokenizer.sink.sink.too_deep.take() {
        return Err(deep);
    }
    let doc = tokenizer.sink.sink.document.clone();
    set_ends(&doc, source);
    Ok(doc)
}

/// Give every element its end: the start of the first later node outside it, trimmed.
fn set_ends(doc: &Handle, source: &str) {
    let mut order: Vec<(Handle, usize)> = Vec::new();
    preorder(doc, &mut order);
    let starts: Vec<usize> = order.iter().map(|(n, _)| n.src.get().0).collect();
    for (i, (node, after)) in order.iter().enumerate() {
        if !matches!(node.kind, Kind::Element { .. }) {
            continue;
        }
        let start = starts[i];
        let end = starts[*after..]
            .iter()
            .copied()
            .find(|&s| s > start)
            .unwrap_or(source.len());
        node.src.set((start, trimmed_end(source, start, end, node)));
    }
}

/// Nodes in document order, each with the index just past its subtree.
fn preorder(node: &Handle, out: &mut Vec<(Handle, usize)>) {
    let me = out.len();
    out.push((node.clone(), 0));
    for c in node.children.borrow().iter() {
        preorder(c, out);
    }
    out[me].1 = out.len();
}

/// Cut trailing whitespace and end tags of the element's ancestors from `source[start..end]`.
fn trimmed_end(source: &str, start: usize, end: usize, node: &Handle) -> usize {
    let mut end = start + source[start..end].trim_end().len();
    loop {
        let slice = &source[start..end];
        let Some(open) = slice.rfind("</") else {
            return end;
        };
        let tag = slice[open + 2..].trim_end_matches('>').trim();
        if !slice.ends_with('>') || tag.eq_ignore_ascii_case(node.name()) {
            return end;
        }
        let mut ancestor = node.parent();
        let mut is_ancestor_tag = false;
        while let Some(a) = ancestor {
            if a.name().eq_ignore_ascii_case(tag) {
                is_ancestor_tag = true;
                break;
            }
            ancestor = a.parent();
        }
        if !is_ancestor_tag {
            return end;
        }
        end = start + source[start..start + open].trim_end().len();
    }
}
