import json, urllib.request, uuid, time, random, subprocess
B='http://127.0.0.1:8772'
def call(path, token=None, body=None):
    req=urllib.request.Request(B+path, data=None if body is None else json.dumps(body).encode(), headers={'content-type':'application/json', **({'authorization':'Bearer '+token} if token else {})})
    return json.load(urllib.request.urlopen(req, timeout=600))
login=call('/api/auth/login', body={'username':'totruong','password':'wardbook-demo'})
tok=login['token']; g=login['me']['group']['id']
random.seed(1)
cats=['theft','disturbance','drugs','fire_risk','noise','other']
bodies=[]
for b in range(20):
    recs=[]
    for k in range(100):
        u=str(uuid.UUID(int=random.getrandbits(128), version=4))
        recs.append({'id':u,'form_key':'neighborhood_report','form_version':1,'group_id':g,'created_at':'2026-11-20T10:00:00+07:00',
          'data':{'category':random.choice(cats),'urgency':'normal','occurred_at':'2026-11-20T09:30','location':f'Số {k} ngõ {b} Nhật Tân','description':'Người dân phản ánh có xe máy lạ dựng trong ngõ suốt ba ngày, không rõ chủ sở hữu. '*5,'people_involved':1}})
    bodies.append({'records':recs})
call('/api/sync/push', tok, bodies[0])  # warm

n=0
for body in bodies[1:]:
    r=call('/api/sync/push', tok, body)
    n+=sum(1 for x in r['results'] if x['outcome']=='accepted')

print('accepted', n, 'records measured, bytes per record', len(json.dumps(bodies[1]))//100)
