package org.mtflow.engine.event;

/** Something that follows a run's events: the event log, the report, the console. */
@FunctionalInterface
public interface EventSink {
    void accept(RunEvent event);
}
