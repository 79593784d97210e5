//! The session's messages: every line the status bar showed, newest last, so that a message cut
//! by the width of the terminal, or replaced by the next one, can be read in full (`M`).

use std::collections::VecDeque;

/// At most this many messages are kept (the oldest go first).
const KEPT: usize = 500;

/// One status-bar message and whether it is an error.
pub type Message = (String, bool);

#[derive(Debug, Default, Clone)]
pub struct MessageLog {
    entries: VecDeque<Message>,
}

impl MessageLog {
    pub fn push(&mut self, message: Message) {
        if self.entries.len() == KEPT {
            self.entries.pop_front();
        }
        self.entries.push_back(message);
    }

    /// The message the status bar shows.
    pub fn last(&self) -> Option<&Message> {
        self.entries.back()
    }

    /// Oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &Message> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_when_full() {
        let mut log = MessageLog::default();
        for i in 0..KEPT + 3 {
            log.push((i.to_string(), false));
        }
        assert_eq!(log.entries().count(), KEPT);
        assert_eq!(log.entries().next().unwrap().0, "3");
        assert_eq!(log.last().unwrap().0, (KEPT + 2).to_string());
    }
}
