# Builds small ONNX test models by hand (no onnx package here): protobuf wire format.
import struct, sys, os, random
class A:
    def __init__(s, shape, data, dt): s.shape=tuple(shape); s.data=list(data); s.dt=dt
class np:
    float32='f'; int64='q'
    @staticmethod
    def asarray(a, dtype=None):
        if isinstance(a, A):
            return A(a.shape, a.data, dtype or a.dt)
        if isinstance(a, list): return A((len(a),), a, dtype or 'f')
        return A((), [a], dtype or 'f')
    array=asarray
    @staticmethod
    def zeros(n, dtype): return A((n,), [0]*n, dtype)
    @staticmethod
    def abs(a): return A(a.shape, [abs(v) for v in a.data], a.dt)
def vint(v):
    if v < 0: v += 1<<64
    out=b''
    while True:
        b=v&0x7f; v>>=7
        if v: out+=bytes([b|0x80])
        else: return out+bytes([b])
def key(f,t): return vint((f<<3)|t)
def fld_v(f,v): return key(f,0)+vint(v)
def fld_b(f,b):
    if isinstance(b,str): b=b.encode()
    return key(f,2)+vint(len(b))+b
def fld_f32(f,v): return key(f,5)+struct.pack('<f',v)
def tensor(name, arr):
    dt = 1 if arr.dt=='f' else 7
    raw=struct.pack('<%d%s'%(len(arr.data),arr.dt), *[(float(v) if dt==1 else int(v)) for v in arr.data])
    b=b''.join(fld_v(1,d) for d in arr.shape)+fld_v(2,dt)+fld_b(8,name)+fld_b(9,raw)
    return b
def attr(name, v):
    b=fld_b(1,name)
    if isinstance(v,float): b+=fld_f32(2,v)+fld_v(20,1)
    elif isinstance(v,int): b+=fld_v(3,v)+fld_v(20,2)
    elif isinstance(v,str): b+=fld_b(4,v)+fld_v(20,3)
    elif isinstance(v,list) and all(isinstance(x,int) for x in v): b+=b''.join(fld_v(8,x) for x in v)+fld_v(20,7)
    elif isinstance(v,list): b+=b''.join(fld_f32(7,x) for x in v)+fld_v(20,6)
    return b
def node(op, ins, outs, name, **attrs):
    b=b''.join(fld_b(1,i) for i in ins)+b''.join(fld_b(2,o) for o in outs)+fld_b(3,name)+fld_b(4,op)
    b+=b''.join(fld_b(5,attr(k,v)) for k,v in attrs.items())
    return b
def vinfo(name, dims):
    shp=b''.join(fld_b(1, fld_v(1,d) if isinstance(d,int) else fld_b(2,d)) for d in dims)
    tt=fld_v(1,1)+fld_b(2,shp)
    return fld_b(1,name)+fld_b(2,fld_b(1,tt))
class G:
    def __init__(s): s.nodes=[]; s.inits=[]; s.k=0
    def c(s, arr, dtype=None):
        s.k+=1; n='k%d'%s.k; s.inits.append(tensor(n,np.asarray(arr,dtype=dtype))); return n
    def op(s, op, ins, nout=1, **a):
        s.k+=1; outs=['t%d_%s'%(s.k,op)+('_%d'%i if i else '') for i in range(nout)]
        s.nodes.append(node(op, ins, outs, 'n%d_%s'%(s.k,op), **a)); return outs[0] if nout==1 else outs
    def model(s, opset, inputs, outputs):
        g=b''.join(fld_b(1,n) for n in s.nodes)+fld_b(2,'g')+b''.join(fld_b(5,t) for t in s.inits)
        g+=b''.join(fld_b(11,vinfo(n,d)) for n,d in inputs)+b''.join(fld_b(12,vinfo(n,d)) for n,d in outputs)
        return fld_v(1,7)+fld_b(2,'facegate-test')+fld_b(7,g)+fld_b(8,fld_b(1,'')+fld_v(2,opset))
random.seed(42)
def r(*sh, s=0.5):
    n=1
    for d in sh: n*=d
    return A(sh, [random.gauss(0,1)*s for _ in range(n)], 'f')
def add1(a, k): return A(a.shape, [v+k for v in a.data], 'f')

# ---- opset 11 model
g=G()
x='x'
a1=g.op('LeakyRelu',[g.op('Conv',[x,g.c(r(8,4,3,3)),g.c(r(8))],pads=[1,1,1,1])],alpha=0.1)
c2=g.op('Conv',[a1,g.c(r(8,2,3,3))],group=4,dilations=[2,2],pads=[2,2,2,2])
bn=lambda t,c: g.op('BatchNormalization',[t,g.c(add1(r(c),1)),g.c(r(c)),g.c(r(c)),g.c(add1(np.abs(r(c)),0.5))],epsilon=1e-3)
c2=g.op('Clip',[bn(c2,8),g.c(np.array(-0.5)),g.c(np.array(0.8))])
s=g.op('PRelu',[bn(g.op('Add',[a1,c2]),8),g.c(np.array([0.25]))])
c3=g.op('Sigmoid',[g.op('Conv',[s,g.c(r(6,8,3,3))],auto_pad='SAME_UPPER',strides=[2,2])])
ap=g.op('AveragePool',[c3],kernel_shape=[3,3],strides=[2,2],pads=[1,1,1,1],count_include_pad=1)
mp=g.op('MaxPool',[c3],kernel_shape=[2,2],strides=[2,2],ceil_mode=1)
cat=g.op('Concat',[ap,mp],axis=1)
up=g.op('Resize',[cat,g.c(np.zeros(0,np.float32)),g.c(np.array([1,1,2,2]))],mode='linear',coordinate_transformation_mode='half_pixel')
shp=g.op('Shape',[up])
n0=g.op('Unsqueeze',[g.op('Gather',[shp,g.c(np.array(0,np.int64))],axis=0)],axes=[0])
flat=g.op('Reshape',[g.op('Transpose',[up],perm=[0,2,3,1]),g.op('Concat',[n0,g.c(np.array([-1],np.int64))],axis=0)])
gm=g.op('Gemm',[flat,g.c(r(5,12*6*6,s=0.1)),g.c(r(5))],transB=1,alpha=0.5,beta=2.0)
out1=g.op('Softmax',[gm])
sizes=g.op('Concat',[g.op('Slice',[g.op('Shape',[cat]),g.c(np.array([0],np.int64)),g.c(np.array([2],np.int64))]),g.c(np.array([7,5],np.int64))],axis=0)
r2=g.op('Resize',[cat,g.c(np.zeros(0,np.float32)),g.c(np.zeros(0,np.float32)),sizes],mode='linear',coordinate_transformation_mode='align_corners')
out2=g.op('Softmax',[g.op('Div',[g.op('Sub',[g.op('Sigmoid',[r2]),g.c(r(12,1,1))]),g.c(np.array(0.7))])],axis=1)
f=g.op('Flatten',[ap],axis=1); f2=g.op('Flatten',[mp],axis=1)
mm=g.op('MatMul',[f,g.op('Transpose',[f2],perm=[1,0])])
out3=g.op('Squeeze',[g.op('Unsqueeze',[g.op('Identity',[mm])],axes=[0])],axes=[0])
open(sys.argv[1]+'/ops11.onnx','wb').write(g.model(11,[('x',['N',4,9,11])],[(out1,['N',5]),(out2,['N',12,7,5]),(out3,['N','N'])]))

# ---- opset 13 model
g=G()
c=g.op('Conv',['x',g.c(r(6,3,1,1))])
o1=g.op('Softmax',[c],axis=1)
o2=g.op('Resize',['x','',g.c(np.array([1,1,1.5,0.6]))],mode='nearest',coordinate_transformation_mode='half_pixel',nearest_mode='round_prefer_ceil')
o3=g.op('Relu',[g.op('Gemm',[g.op('Flatten',[c],axis=1),g.c(r(6*9*11,7,s=0.1)),g.c(r(1,7))])])
o4=g.op('Unsqueeze',[g.op('Sigmoid',[g.op('Mul',[c,g.op('GlobalAveragePool',[c])])]),g.c(np.array([1],np.int64))])
open(sys.argv[1]+'/ops13.onnx','wb').write(g.model(13,[('x',['N',3,9,11])],[(o1,['N',6,9,11]),(o2,['N',3,13,6]),(o3,['N',7]),(o4,['N',1,6,9,11])]))
def npy(path, a):
    shape='(%s)'%(', '.join(map(str,a.shape))+(',' if len(a.shape)==1 else ''))
    h="{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"%shape
    h+=' '*(64-(10+len(h)+1)%64)+'\n'
    open(path,'wb').write(b'\x93NUMPY\x01\x00'+struct.pack('<H',len(h))+h.encode()+struct.pack('<%df'%len(a.data),*a.data))
npy(sys.argv[1]+'/ops11_input.npy', r(2,4,9,11,s=1.0))
npy(sys.argv[1]+'/ops13_input.npy', r(2,3,9,11,s=1.0))
