package org.mtflow.kernels.format;

import java.io.IOException;
import java.nio.file.Path;

/** A tensor file that does not follow its format; the message names the file and what is wrong. */
public final class FormatException extends IOException {
    public FormatException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
