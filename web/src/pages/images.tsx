// Images: size, layers with their sizes, and the instances launched from each.
import { get } from "../api";
import { Loading, bytes, tagText } from "../common";
import { usePoll } from "../live";

export function Images() {
  const live = usePoll(async () => {
    const [images, inst] = await Promise.all([get("/v1/images"), get("/v1/instances")]);
    return { images: (images.Images ?? []) as any[], instances: (inst.Instances ?? []) as any[] };
  });
  const d = live.data;
  if (!d) return <Loading error={live.error} />;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Image</th>
            <th>State</th>
            <th>Created</th>
            <th>Size</th>
            <th>Layers</th>
            <th>Ports</th>
            <th>Used by</th>
            <th>Tags</th>
          </tr>
        </thead>
        <tbody>
          {d.images.map((im) => {
            const users = d.instances.filter((i) => i.ImageId === im.ImageId && i.State.Name !== "terminated");
            return (
              <tr data-image={im.ImageId}>
                <td class="name">{im.Name}</td>
                <td class="mono">{im.ImageId}</td>
                <td>{im.State}</td>
                <td>{im.CreationDate}</td>
                <td class="size">{bytes(im.SizeBytes)}</td>
                <td class="mono small layers">
                  {(im.LayerSizes ?? []).map((l: { Digest: string; SizeBytes: number }) => (
                    <div>
                      {l.Digest.slice(0, 19)} {bytes(l.SizeBytes)}
                    </div>
                  ))}
                </td>
                <td>{(im.Ports ?? []).join(", ")}</td>
                <td class="mono small">
                  {users.length} {users.slice(0, 5).map((i) => i.InstanceId).join(" ")}
                  {users.length > 5 ? " …" : ""}
                </td>
                <td>{tagText(im.Tags)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
