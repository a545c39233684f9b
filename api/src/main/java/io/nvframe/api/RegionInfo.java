package io.nvframe.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Identity, geometry and on-media layout of an open region.
 *
 * @param location the file path, or a description such as {@code heap:volatile}
 * @param backend the backend name recorded in the header
 * @param formatVersion the region format version recorded in the header
 * @param uuid the region's identity, fixed at format time
 * @param capacity bytes of the medium
 * @param frameSize bytes per page frame
 * @param maxOrder the largest allocation order
 * @param lanes number of redo-log lanes
 * @param laneSize bytes per lane
 * @param frameCount number of page frames
 * @param byteAddressable whether {@link Region#segment} is supported
 * @param areas the layout, in offset order
 * @param medium backend-specific facts (for example the DAX mapping mode)
 */
public record RegionInfo(
    String location,
    String backend,
    int formatVersion,
    UUID uuid,
    long capacity,
    int frameSize,
    int maxOrder,
    int lanes,
    int laneSize,
    long frameCount,
    boolean byteAddressable,
    List<Area> areas,
    Map<String, String> medium) {

  public RegionInfo {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(uuid, "uuid");
    areas = List.copyOf(areas);
    medium = Map.copyOf(medium);
  }

  /** One contiguous area of the layout. */
  public record Area(String name, long offset, long length) {
    public Area {
      Objects.requireNonNull(name, "name");
    }
  }
}
