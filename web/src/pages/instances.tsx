// Instances: a live table (1 s) with filters by tag, state, type and subnet; actions on the
// selected instance; console output; launch from an image or a launch template with user data.
import { useMemo, useState } from "preact/hooks";
import { base64, call, errorText, get, post } from "../api";
import { Action, ErrorLine, Loading, Tag, tagText, tagValue } from "../common";
import { usePoll } from "../live";

export interface Instance {
  InstanceId: string;
  ImageId: string;
  InstanceType: string;
  State: { Code: number; Name: string };
  StateReason?: string;
  PrivateIpAddress?: string;
  SubnetId?: string;
  LaunchTime?: string;
  Tags?: Tag[];
}

const STATES = ["pending", "running", "stopping", "stopped", "shutting-down", "terminated"];
const ROW_PX = 34;
const VIEW_ROWS = 16;

export interface Filters {
  tag: string; // "K=V", or "K" for any value
  state: string;
  type: string;
  subnet: string;
  text: string;
}

export function applyFilters(all: Instance[], f: Filters): Instance[] {
  const [tk, tv] = f.tag.includes("=") ? [f.tag.slice(0, f.tag.indexOf("=")), f.tag.slice(f.tag.indexOf("=") + 1)] : [f.tag, undefined];
  const text = f.text.toLowerCase();
  return all.filter((i) => {
    if (f.state && i.State.Name !== f.state) return false;
    if (f.type && i.InstanceType !== f.type) return false;
    if (f.subnet && i.SubnetId !== f.subnet) return false;
    if (tk) {
      const tag = (i.Tags ?? []).find((t) => t.Key === tk);
      if (!tag || (tv !== undefined && tag.Value !== tv)) return false;
    }
    if (text && !i.InstanceId.includes(text) && !tagValue(i.Tags, "Name").toLowerCase().includes(text)) return false;
    return true;
  });
}

function Select({ label, value, options, onChange, name }: { label: string; value: string; options: string[]; onChange: (v: string) => void; name: string }) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option value={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}

function Table({ rows, selected, onSelect }: { rows: Instance[]; selected: string; onSelect: (id: string) => void }) {
  // Only the rows in view are rendered, so 1,000 instances filter and scroll as fast as 20.
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / ROW_PX) - 4);
  const last = Math.min(rows.length, first + VIEW_ROWS + 8);
  return (
    <div class="table-scroll" onScroll={(e) => setTop((e.target as HTMLDivElement).scrollTop)} data-testid="instances-table">
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Instance</th>
            <th>State</th>
            <th>Type</th>
            <th>Address</th>
            <th>Subnet</th>
            <th>Tags</th>
          </tr>
        </thead>
        <tbody>
          {first > 0 && <tr class="spacer" style={{ height: `${first * ROW_PX}px` }} />}
          {rows.slice(first, last).map((i) => (
            <tr key={i.InstanceId} data-id={i.InstanceId} class={i.InstanceId === selected ? "selected" : ""} onClick={() => onSelect(i.InstanceId)}>
              <td class="name">{tagValue(i.Tags, "Name")}</td>
              <td class="mono">{i.InstanceId}</td>
              <td>
                <span class={`state ${i.State.Name}`}>{i.State.Name}</span>
              </td>
              <td>{i.InstanceType}</td>
              <td class="mono">{i.PrivateIpAddress ?? ""}</td>
              <td class="mono">{i.SubnetId ?? ""}</td>
              <td class="tags">{tagText(i.Tags)}</td>
            </tr>
          ))}
          {last < rows.length && <tr class="spacer" style={{ height: `${(rows.length - last) * ROW_PX}px` }} />}
        </tbody>
      </table>
    </div>
  );
}

function Details({ instance, types, refresh }: { instance: Instance; types: string[]; refresh: () => void }) {
  const [type, setType] = useState(instance.InstanceType);
  const [output, setOutput] = useState<string | null>(null);
  const [error, setError] = useState("");
  const id = instance.InstanceId;
  const act = (verb: string) => () => post(`/v1/instances/${id}/${verb}`);
  return (
    <section class="details" data-testid="instance-details">
      <h2>
        {tagValue(instance.Tags, "Name") || id} <span class="mono muted">{id}</span>
      </h2>
      <p>
        <span class={`state ${instance.State.Name}`}>{instance.State.Name}</span> {instance.StateReason ?? ""}
      </p>
      <div class="actions">
        <Action label="Stop" run={act("stop")} done={refresh} />
        <Action label="Start" run={act("start")} done={refresh} />
        <Action label="Reboot" run={act("reboot")} done={refresh} />
        <Action label="Terminate" kind="danger" run={act("terminate")} done={refresh} />
        <label>
          Type
          <select name="change-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {types.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </label>
        <Action label="Change type" run={() => call("PATCH", `/v1/instances/${id}`, { InstanceType: type })} done={refresh} />
        <button
          onClick={async () => {
            setError("");
            try {
              setOutput((await get(`/v1/instances/${id}/console`)).Output ?? "");
            } catch (e) {
              setError(errorText(e));
            }
          }}
        >
          Console output
        </button>
      </div>
      <ErrorLine text={error} />
      <dl>
        <dt>Image</dt>
        <dd class="mono">{instance.ImageId}</dd>
        <dt>Launched</dt>
        <dd>{instance.LaunchTime ?? ""}</dd>
        <dt>Tags</dt>
        <dd>{tagText(instance.Tags)}</dd>
      </dl>
      {output !== null && <pre class="console-output">{output || "(no output yet)"}</pre>}
    </section>
  );
}

function Launch({ images, templates, types, done }: { images: string[]; templates: string[]; types: string[]; done: () => void }) {
  const [source, setSource] = useState("image");
  const [image, setImage] = useState("");
  const [template, setTemplate] = useState("");
  const [type, setType] = useState("t3.micro");
  const [count, setCount] = useState(1);
  const [name, setName] = useState("");
  const [tag, setTag] = useState("");
  const [userData, setUserData] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const launch = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const body: Record<string, unknown> = { Count: count };
      let tags: Tag[] = [];
      if (source === "template") {
        // A launch from a template is the template's data as a RunInstances body (what EC2 does).
        const t = await get(`/v1/launch-templates/${encodeURIComponent(template)}`);
        const v = (t.LaunchTemplateVersions ?? []).find((x: any) => x.VersionNumber === t.DefaultVersionNumber) ?? t.LaunchTemplateVersions?.[0];
        const d = v?.LaunchTemplateData ?? {};
        Object.assign(body, { ImageId: d.ImageId, InstanceType: d.InstanceType, UserData: d.UserData, Sysctls: d.Sysctls });
        for (const spec of d.TagSpecifications ?? []) tags = tags.concat(spec.Tags ?? []);
      } else {
        Object.assign(body, { ImageId: image, InstanceType: type });
      }
      if (userData) body.UserData = base64(userData);
      if (name) tags = tags.filter((t) => t.Key !== "Name").concat([{ Key: "Name", Value: name }]);
      if (tag) {
        const eq = tag.indexOf("=");
        tags.push(eq < 0 ? { Key: tag, Value: "" } : { Key: tag.slice(0, eq), Value: tag.slice(eq + 1) });
      }
      if (tags.length) body.Tags = tags;
      await post("/v1/instances", body);
      done();
    } catch (err) {
      setError(errorText(err));
    }
    setBusy(false);
  };
  const input = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <form class="launch" onSubmit={launch} data-testid="launch-form">
      <h2>Launch</h2>
      <div class="row">
        <label>
          From
          <select name="source" value={source} onChange={input(setSource)}>
            <option value="image">image</option>
            <option value="template">launch template</option>
          </select>
        </label>
        {source === "image" ? (
          <>
            <label>
              Image
              <select name="image" value={image} onChange={input(setImage)}>
                <option value="">choose…</option>
                {images.map((i) => (
                  <option value={i}>{i}</option>
                ))}
              </select>
            </label>
            <label>
              Type
              <select name="type" value={type} onChange={input(setType)}>
                {types.map((t) => (
                  <option value={t}>{t}</option>
                ))}
              </select>
            </label>
          </>
        ) : (
          <label>
            Template
            <select name="template" value={template} onChange={input(setTemplate)}>
              <option value="">choose…</option>
              {templates.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          Count
          <input name="count" type="number" min={1} max={100} value={count} onInput={(e) => setCount(Number((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          Name
          <input name="name" value={name} onInput={input(setName)} />
        </label>
        <label>
          Tag
          <input name="tag" placeholder="KEY=VALUE" value={tag} onInput={input(setTag)} />
        </label>
      </div>
      <label class="wide">
        User data
        <textarea name="user-data" rows={3} value={userData} onInput={input(setUserData)} placeholder="#!/bin/sh" />
      </label>
      <button type="submit" disabled={busy}>
        Launch
      </button>
      <ErrorLine text={error} />
    </form>
  );
}

export function InstancesView({ all, error, refresh, types, images, templates }: {
  all: Instance[] | undefined;
  error: string;
  refresh: () => void;
  types: string[];
  images: string[];
  templates: string[];
}) {
  const [f, setF] = useState<Filters>({ tag: "", state: "", type: "", subnet: "", text: "" });
  const [selected, setSelected] = useState("");
  const rows = useMemo(() => applyFilters(all ?? [], f), [all, f]);
  const subnets = useMemo(() => Array.from(new Set((all ?? []).map((i) => i.SubnetId ?? ""))).filter(Boolean).sort(), [all]);
  const presentTypes = useMemo(() => Array.from(new Set((all ?? []).map((i) => i.InstanceType))).sort(), [all]);
  const set = (k: keyof Filters) => (v: string) => setF({ ...f, [k]: v });
  const chosen = (all ?? []).find((i) => i.InstanceId === selected);
  return (
    <>
      <div class="filters" data-testid="filters">
        <label>
          Tag
          <input name="filter-tag" placeholder="KEY=VALUE or KEY" value={f.tag} onInput={(e) => set("tag")((e.target as HTMLInputElement).value)} />
        </label>
        <Select name="filter-state" label="State" value={f.state} options={STATES} onChange={set("state")} />
        <Select name="filter-type" label="Type" value={f.type} options={presentTypes} onChange={set("type")} />
        <Select name="filter-subnet" label="Subnet" value={f.subnet} options={subnets} onChange={set("subnet")} />
        <label>
          Search
          <input name="filter-text" placeholder="id or name" value={f.text} onInput={(e) => set("text")((e.target as HTMLInputElement).value)} />
        </label>
        <span class="count" data-testid="row-count">
          {rows.length} of {all?.length ?? 0}
        </span>
      </div>
      {all === undefined ? <Loading error={error} /> : <ErrorLine text={error} />}
      <Table rows={rows} selected={selected} onSelect={setSelected} />
      {chosen && <Details key={chosen.InstanceId} instance={chosen} types={types} refresh={refresh} />}
      <Launch images={images} templates={templates} types={types} done={refresh} />
    </>
  );
}

export function Instances() {
  const live = usePoll(async () => (await get("/v1/instances")).Instances as Instance[]);
  const meta = usePoll(
    async () => {
      const [t, i, l] = await Promise.all([get("/v1/instance-types"), get("/v1/images"), get("/v1/launch-templates")]);
      return {
        types: (t.InstanceTypes ?? []).map((x: any) => x.InstanceType as string),
        images: (i.Images ?? []).map((x: any) => x.Name as string),
        templates: (l.LaunchTemplates ?? []).map((x: any) => x.LaunchTemplateName as string),
      };
    },
    [],
    10000,
  );
  return (
    <InstancesView
      all={live.data}
      error={live.error || meta.error}
      refresh={live.refresh}
      types={meta.data?.types ?? []}
      images={meta.data?.images ?? []}
      templates={meta.data?.templates ?? []}
    />
  );
}
