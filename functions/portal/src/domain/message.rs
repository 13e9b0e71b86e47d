//! What messages and refill requests are made of: conversations with the clinic office,
//! who wrote each message, and where each medication of a refill request stands.

use super::ids;

super::random_id!(
    /// A conversation of a family's with a clinic office.
    ConversationId,
    "is not a conversation id"
);

ids! {
    /// `Open` while the office has something to do or say; the office closes it, and a
    /// family's reply opens it again.
    pub enum ConversationStatus {
        Open = "open",
        Closed = "closed",
    }
}

ids! {
    /// Which side wrote a message.
    pub enum Side {
        Family = "family",
        Staff = "staff",
    }
}

ids! {
    /// The office's answer to one medication of a refill request.
    pub enum RefillStatus {
        Requested = "requested",
        /// Sent to the pharmacy the family chose.
        Approved = "approved",
        Denied = "denied",
        /// The patient must be seen first.
        NeedsAppointment = "needs-appointment",
    }
}

ids! {
    /// A refill request is `Requested` until every medication in it is answered.
    pub enum RefillRequestStatus {
        Requested = "requested",
        Answered = "answered",
    }
}
