/**
 * A park's lanes (4.21 with our labels): each lane's QR code (the lane link drivers scan), its printable
 * poster (PDF), our name/direction/note for it, and the remote barrier lift (LiftPanel).
 */
import { Button, Image, Input, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { opParkEndpoints, type OpLaneView } from '@shared/api/op-parks';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { param } from '../../../services/routes';
import { Choice, Field, Flash, OpError, OpPage, type Err } from '../components/OpUi';
import { openFile, pngDataUrl } from '../services/files';
import { opErrorOf, opErrorText } from '../services/errors';
import { opCall, opSession } from '../services/session';
import { LiftPanel } from './LiftPanel';

const DIRECTION = { in: '入口', out: '出口' } as const;

function LaneQr({ lane }: { lane: OpLaneView }) {
  const [src, setSrc] = useState<string | undefined>();
  const [error, setError] = useState<Err | undefined>();
  useEffect(() => {
    let alive = true;
    pngDataUrl(`${lane.codes.png}?size=256`).then(
      (u) => alive && setSrc(u),
      (e: unknown) => alive && setError(opErrorOf(e)),
    );
    return () => {
      alive = false;
    };
  }, [lane.codes.png]);
  if (error) return <Text className="muted op-qr-missing">二维码加载失败：{opErrorText(error).title}</Text>;
  if (!src) return <View className="op-qr" />;
  return <Image className="op-qr" src={src} mode="aspectFit" />;
}

type Edit = { name: string; direction: 'in' | 'out' | 'auto'; note: string };

function LaneEditor({ lane, onSaved, onClose }: { lane: OpLaneView; onSaved: (l: OpLaneView) => void; onClose: () => void }) {
  const labelled = lane.directionFrom === 'label';
  const [e, setE] = useState<Edit>({ name: lane.name === lane.lotName ? '' : lane.name, direction: labelled && lane.direction ? lane.direction : 'auto', note: lane.note ?? '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const saved = await opCall(opParkEndpoints.updateLane, {
        params: { parkNumber: lane.parkNumber, passagewayId: lane.passagewayId },
        // Empty clears ours: the lot's name / the areas' direction apply again.
        body: { name: e.name.trim() || null, direction: e.direction === 'auto' ? null : e.direction, note: e.note.trim() || null },
      });
      onSaved(saved);
    } catch (err) {
      setError(opErrorOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="op-lane-edit">
      <Field label={`显示名称（留空用车场的名称：${lane.lotName}）`}>
        <Input className="op-input op-lane-name" value={e.name} maxlength={32} onInput={(v) => setE({ ...e, name: v.detail.value })} />
      </Field>
      <Field label="方向">
        <Choice
          className="op-lane-direction"
          value={e.direction}
          options={[
            { value: 'in', label: '入口' },
            { value: 'out', label: '出口' },
            { value: 'auto', label: '按区域自动判断' },
          ]}
          onChange={(direction) => setE({ ...e, direction })}
        />
      </Field>
      <Field label="备注">
        <Input className="op-input op-lane-note" value={e.note} maxlength={200} onInput={(v) => setE({ ...e, note: v.detail.value })} />
      </Field>
      <View className="op-actions">
        <Button className="btn btn-primary op-lane-save" disabled={busy} onClick={save}>
          保存
        </Button>
        <Button className="btn btn-secondary" disabled={busy} onClick={onClose}>
          取消
        </Button>
      </View>
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

function LaneCard({ lane, canLift, onChanged }: { lane: OpLaneView; canLift: boolean; onChanged: (l: OpLaneView) => void }) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const [posterError, setPosterError] = useState<Err | undefined>();
  const [posterBusy, setPosterBusy] = useState(false);
  const poster = async () => {
    setPosterBusy(true);
    setPosterError(undefined);
    try {
      await openFile(lane.codes.poster, `${lane.parkNumber}-${lane.name}.pdf`, 'pdf');
    } catch (e) {
      setPosterError(opErrorOf(e));
    } finally {
      setPosterBusy(false);
    }
  };
  return (
    <View className="card op-lane-card" id={`lane-${lane.passagewayId}`}>
      <View className="op-lane">
        <View className="op-lane-info">
          <Text className="op-tile-title">
            {lane.name}
            {lane.direction ? <Text className={`op-badge op-badge-${lane.direction}`}>{DIRECTION[lane.direction]}</Text> : <Text className="op-badge op-badge-warn">方向未知</Text>}
          </Text>
          <Text className="muted">
            车道 {lane.passagewayId} · 车场名称 {lane.lotName}
          </Text>
          {lane.note ? <Text className="muted">备注：{lane.note}</Text> : null}
          <Text className="muted op-lane-link">{lane.link}</Text>
          <View className="op-actions">
            <Button className="btn btn-secondary btn-small op-poster" disabled={posterBusy} onClick={poster}>
              {posterBusy ? '正在生成…' : '海报 PDF'}
            </Button>
            {!editing ? (
              <Button
                className="btn btn-secondary btn-small op-lane-edit-start"
                onClick={() => {
                  setSaved(false);
                  setEditing(true);
                }}
              >
                编辑
              </Button>
            ) : null}
          </View>
          {posterError ? <OpError error={posterError} /> : null}
        </View>
        <View className="op-qr-box">
          <LaneQr lane={lane} />
          <Text className="muted">扫码进出 · 缴费</Text>
        </View>
      </View>
      {saved ? <Flash text="已保存" /> : null}
      {editing ? (
        <LaneEditor
          lane={lane}
          onClose={() => setEditing(false)}
          onSaved={(l) => {
            onChanged(l);
            setEditing(false);
            setSaved(true);
          }}
        />
      ) : null}
      {canLift ? <LiftPanel parkNumber={lane.parkNumber} passagewayId={lane.passagewayId} /> : null}
    </View>
  );
}

export default function OpLanesPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const lanes = useLoader(() => opCall(opParkEndpoints.lanes, { params: { parkNumber } }), [parkNumber]);
  const role = opSession()?.operator.role;
  const canLift = role === 'admin' || role === 'operator';
  return (
    <OpPage title="车道与二维码" parkNumber={parkNumber} className="op-lanes">
      {lanes.state === 'loading' ? <Loading /> : null}
      {lanes.state === 'error' ? <OpError error={lanes.error} onRetry={lanes.reload} /> : null}
      {lanes.state === 'ok' && lanes.data.lanes.length === 0 ? <Text className="muted">车场还没有上报车道</Text> : null}
      {lanes.state === 'ok' ? (
        <View className="op-grid">
          {lanes.data.lanes.map((l) => (
            <LaneCard
              key={l.passagewayId}
              lane={l}
              canLift={canLift}
              onChanged={(changed) => lanes.set({ lanes: lanes.data.lanes.map((x) => (x.passagewayId === changed.passagewayId ? changed : x)) })}
            />
          ))}
        </View>
      ) : null}
    </OpPage>
  );
}
