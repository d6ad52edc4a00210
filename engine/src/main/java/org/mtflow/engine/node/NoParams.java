package org.mtflow.engine.node;

/** The params record of node types that take none. */
public record NoParams() {}
