import ts from 'typescript';
import fs from 'node:fs'; import path from 'node:path';
const files=[];
const walk=(d)=>{for(const e of fs.readdirSync(d,{withFileTypes:true})){const p=path.join(d,e.name); if(e.isDirectory()) walk(p); else if(p.endsWith('.ts')) files.push(p);}};
walk('src'); walk('machines');
const edges={};
for(const f of files){ const info=ts.preProcessFile(fs.readFileSync(f,'utf8'),true,true);
 for(const i of info.importedFiles){ if(!i.fileName.startsWith('.')) continue; const t=path.normalize(path.join(path.dirname(f),i.fileName));
  const top=(p)=>{const s=p.split('/'); return s[0]==='src'? (s.length>2? 'src/'+s[1] : p) : s[0];};
  const a=top(f), b=top(t); if(a!==b){ (edges[a+' -> '+b] ??= []).push(f+' -> '+t);} }}
for(const [k,v] of Object.entries(edges).sort()) console.log(k, v.length, v.slice(0,3).join(' | '));
