"""What the camera has to tell the broker: a bounded queue, coalesced per topic.

Every message is a state (a setting's value, the motion state, the diagnostics, a discovery
config): only its newest value matters. So a message for a topic already queued replaces the
queued one in place, and the queue never holds more than one message per topic. A broker that
stops reading therefore costs at most one message per topic, however long it stalls; past
max_messages (more topics than the camera has) the oldest is dropped. `dropped` counts both.

QoS 1 messages stay after they are written, until the broker's PUBACK for their packet id;
on a new connection every one not acknowledged is written again (with DUP set). QoS 0
messages go once they are written.
"""


class Message:
    def __init__(self, topic, payload, qos, retain):
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.pid = 0  # its packet id (QoS 1), kept for every write of it; 0 before the first
        self.dup = False  # written before, on an earlier connection (the DUP flag)
        self.sent = False  # written on the current connection


class Outbox:
    def __init__(self, max_messages=64):
        self.max_messages = max_messages
        self.messages = []  # oldest first
        self.dropped = 0  # messages replaced by a newer one for their topic, or pushed out
        self._pid = 0

    def put(self, topic, payload, qos=1, retain=True):
        """Queue payload (bytes) for topic, replacing what is queued for it."""
        messages = self.messages
        for i in range(len(messages)):
            if messages[i].topic == topic:
                old = messages.pop(i)
                if not old.pid and not old.sent:  # (one written before was not lost, only not retried)
                    self.dropped += 1
                break
        if len(messages) >= self.max_messages:
            messages.pop(0)
            self.dropped += 1
        messages.append(Message(topic, payload, qos, retain))

    def next(self):
        """The oldest message not yet written on this connection, with its packet id if QoS 1
        (the same one again, and dup set, when it is written again); None when there is none."""
        for message in self.messages:
            if not message.sent:
                if message.qos:
                    if message.pid:
                        message.dup = True
                    else:
                        message.pid = self._next_pid()
                return message
        return None

    def written(self, message):
        """message went out: a QoS 0 one is done, a QoS 1 one waits for its PUBACK."""
        message.sent = True
        if not message.qos and message in self.messages:
            self.messages.remove(message)

    def acked(self, pid):
        """The broker acknowledged pid; an unknown one (a replaced message's) is ignored."""
        for message in self.messages:
            if message.pid == pid and message.sent:
                self.messages.remove(message)
                return True
        return False

    def reconnected(self):
        """A new connection: everything not acknowledged goes out again."""
        for message in self.messages:
            message.sent = False

    def unacked(self):
        count = 0
        for message in self.messages:
            if message.sent:
                count += 1
        return count

    def _next_pid(self):
        self._pid = self._pid % 65535 + 1
        return self._pid
