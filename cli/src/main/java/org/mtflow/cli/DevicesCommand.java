package org.mtflow.cli;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mtflow.devices.Device;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.devices.DeviceKind;
import org.mtflow.devices.Devices;
import picocli.CommandLine.Command;

@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Lists the devices mtflow can run tasks on, best first, and the backend serving each.")
final class DevicesCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        Devices.OpenClProbe probe = Devices.probeOpenCl();
        List<Device> devices = Devices.discover(true);
        System.out.printf(Locale.ROOT, "%-9s %-11s %-7s %-10s %-8s %s%n", "ID", "KIND", "UNITS", "MEMORY", "BACKEND", "NAME");
        for (Device d : devices) {
            DeviceInfo i = d.info();
            String units = i.computeUnits() + (i.kind() == DeviceKind.JVM ? " cores" : " CUs");
            String memory = human(i.memoryBytes()) + (i.kind() == DeviceKind.JVM ? " heap" : "");
            System.out.printf(Locale.ROOT, "%-9s %-11s %-7s %-10s %-8s %s%n", i.id(), i.kind().name().toLowerCase(Locale.ROOT),
                    units.split(" ")[0], memory.split(" ")[0], i.backend(), i.name()
                            + (i.kind() == DeviceKind.JVM ? " (" + units + ", " + memory + ")" : ""));
        }
        if (probe.problem() != null) {
            System.out.println("no OpenCL device: " + probe.problem()
                    + "; for OpenCL on the CPU: apt-get install -y pocl-opencl-icd ocl-icd-libopencl1");
        }
        return Main.OK;
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, u == 0 ? "%.0f%s" : "%.1f%s", v, units[u]);
    }
}
