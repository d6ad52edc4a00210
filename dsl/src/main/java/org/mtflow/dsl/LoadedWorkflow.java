package org.mtflow.dsl;

import java.nio.file.Path;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * A workflow file after loading and validation.
 *
 * @param source       the file it came from (as given, for messages)
 * @param spec         the validated spec, params substituted and overrides applied
 * @param resolvedYaml the spec written back as YAML ({@link WorkflowWriter}): what a run records as
 *                     {@code spec.yaml}, and loads to the same spec
 */
public record LoadedWorkflow(Path source, WorkflowSpec spec, String resolvedYaml) {}
