package org.mtflow.engine.spec;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.mtflow.devices.DeviceSelector;

/** What a task needs of the device that runs it. */
public record Resources(@JsonIgnore DeviceSelector device, long memory, int slots) {
    public static final Resources DEFAULT = new Resources(DeviceSelector.ANY, 0, 1);

    @JsonProperty("device")
    String deviceToken() { return device.token(); }
}
